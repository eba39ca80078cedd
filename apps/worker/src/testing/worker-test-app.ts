import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { bullConnection, type DiffRecord } from '@dualwrite/dual-write';
import { parsePlatformConfig, type PlatformConfig } from '@dualwrite/config';
import { parseRunSettings } from '@dualwrite/reconcile';
import { Queue } from 'bullmq';
import { v7 as uuidv7 } from 'uuid';
import { exampleEntities } from '@dualwrite/example-domain';
import type { StoreFactory } from '../stores/worker-stores';
import { WorkerModule } from '../worker.module';

/** Queue names of one test run, so suites never consume each other's (or a running worker's) jobs. */
export interface TestQueues {
  replayQueue: string;
  diffsQueue: string;
}

/** Settings a worker spec may override, as the variables that set them. */
export interface TestWorkerSettings extends TestQueues {
  replayAttempts?: number;
  diffRetentionDays?: number;
}

export function testQueueNames(suite: string): TestQueues {
  const run = uuidv7();
  return { replayQueue: `dw-replay-${suite}-${run}`, diffsQueue: `dw-diffs-${suite}-${run}` };
}

/** The distributed runs' queue of a test run (DW_RUNS_QUEUE), named after its replay queue. */
function runsQueueOf(queues: TestQueues): string {
  return `${queues.replayQueue}-runs`;
}

/** Removes a test run's queues from Redis (jobs, and the keys a worker leaves behind). */
export async function removeTestQueues(queues: TestQueues): Promise<void> {
  for (const name of [queues.replayQueue, queues.diffsQueue, runsQueueOf(queues)]) {
    const queue = new Queue(name, { connection: bullConnection(process.env['REDIS_URL'] as string) });
    await queue.obliterate({ force: true });
    await queue.close();
  }
}

/** The variables that name a test run's queues (and the settings a spec overrides). */
export function queueEnvironment(settings: TestWorkerSettings): NodeJS.ProcessEnv {
  return {
    DW_REPLAY_QUEUE: settings.replayQueue,
    DW_DIFFS_QUEUE: settings.diffsQueue,
    ...(settings.replayAttempts === undefined ? {} : { DW_REPLAY_ATTEMPTS: String(settings.replayAttempts) }),
    ...(settings.diffRetentionDays === undefined ? {} : { DIFF_RETENTION_DAYS: String(settings.diffRetentionDays) }),
  };
}

/** The platform configuration of the test environment, with the control tables in the suite's own database. */
export function testPlatformConfig(controlDatabaseUrl: string, env: NodeJS.ProcessEnv = {}): PlatformConfig {
  return parsePlatformConfig({ ...process.env, ...env, CONTROL_DATABASE_URL: controlDatabaseUrl });
}

/** Runs the worker module in this process, as main.ts does, with test queue names and settings. */
export async function startWorkerApp(options: {
  controlDatabaseUrl: string;
  settings: TestWorkerSettings;
  createStores?: StoreFactory;
  /** Environment overrides for the platform configuration. */
  env?: NodeJS.ProcessEnv;
}): Promise<INestApplicationContext> {
  return NestFactory.createApplicationContext(
    WorkerModule.forRoot({
      config: testPlatformConfig(options.controlDatabaseUrl, { ...queueEnvironment(options.settings), ...options.env }),
      entities: exampleEntities,
      createStores: options.createStores,
      // A run queue of the test's own and no nightly reconcile, unless the spec says otherwise.
      runSettings: parseRunSettings({ DW_RUNS_QUEUE: runsQueueOf(options.settings), RECONCILE_CRON: 'off', ...options.env }),
    }),
    { logger: ['error'] },
  );
}

/** A diff as the engine records it; `seenAt` becomes the row's created_at. */
export function testDiff(overrides: Partial<DiffRecord> = {}): DiffRecord {
  return {
    diffId: uuidv7(),
    apiEndpoint: 'PUT /budgets/:id',
    entity: 'budgets',
    entityId: uuidv7(),
    operation: 'update',
    severity: 'info',
    differences: [{ path: '$.amount', kind: 'changed', field: 'amount', primary: '10.00', secondary: '10.01' }],
    primaryStore: 'prisma',
    secondaryStore: 'supabase',
    primaryLatencyMs: 4,
    secondaryLatencyMs: 9,
    seenAt: new Date().toISOString(),
    ...overrides,
  };
}

/** Polls until `probe` returns a value (not undefined), failing after a generous timeout. */
export async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 20_000, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
