import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FlagRepository, FlagService, platformRedisKeys, type DualWriteFlags } from '@dualwrite/dual-write';
import { exampleEntities } from '@dualwrite/example-domain';
import { prepareControlDatabase } from '@dualwrite/testing';
import Redis from 'ioredis';
import { Pool } from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { eventually, queueEnvironment, removeTestQueues, testPlatformConfig, testQueueNames } from '../testing/worker-test-app';
import { WorkerModule } from '../worker.module';
import { AlertsService } from './alerts.service';

const PHASE_1: DualWriteFlags = { enableDualWrite: false, enableSupabasePrimary: false };
const PHASE_2: DualWriteFlags = { enableDualWrite: true, enableSupabasePrimary: false };
const PHASE_3: DualWriteFlags = { enableDualWrite: true, enableSupabasePrimary: true };

/** Receives the webhook's POSTs on a free local port. */
class WebhookReceiver {
  readonly bodies: Record<string, unknown>[] = [];
  private readonly server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      this.bodies.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>);
      response.end();
    });
  });

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/alerts`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

describe('alert cron: evaluate → notify → auto-rollback guard', () => {
  const queues = testQueueNames('alerts');
  const receiver = new WebhookReceiver();
  const redisUrl = process.env['REDIS_URL'] as string;
  let controlDatabaseUrl: string;
  let pool: Pool;
  let flags: FlagRepository;
  let redis: Redis;
  let webhookUrl: string;
  let redisKeyPrefix: string;
  let app: INestApplicationContext | null = null;

  beforeAll(async () => {
    controlDatabaseUrl = await prepareControlDatabase('dw_control_worker_alerts');
    pool = new Pool({ connectionString: controlDatabaseUrl, max: 2 });
    flags = new FlagRepository(pool);
    redis = new Redis(redisUrl);
    webhookUrl = await receiver.start();
  });

  beforeEach(async () => {
    redisKeyPrefix = `dw-test-alerts-${uuidv7()}`;
    receiver.bodies.length = 0;
    await pool.query('truncate dual_write_ops, dual_write_diffs, dual_write_flag_history');
  });

  afterEach(async () => {
    await app?.close();
    app = null;
    const keys = platformRedisKeys(redisKeyPrefix);
    await redis.del(keys.activeAlerts, keys.rolledBack, keys.breakers);
  });

  afterAll(async () => {
    await removeTestQueues(queues);
    await receiver.stop();
    await redis.quit();
    await pool.end();
  });

  async function setFlags(next: DualWriteFlags, reason: string): Promise<void> {
    await flags.change({ next, changedBy: 'alerts.spec', source: 'cli', reason });
  }

  /** Phase 2 entered from phase 1, then 40 writes of which the secondary failed every other one (50 %). */
  async function phase2WithFailingSecondary(): Promise<void> {
    await setFlags(PHASE_1, 'start in phase 1');
    await setFlags(PHASE_2, 'start dual writes');
    for (let index = 0; index < 40; index += 1) {
      const secondary = index % 2 === 0 ? 'failed' : 'ok';
      await pool.query(
        `insert into dual_write_ops (op_id, entity, operation, payload, primary_store, secondary_store, status, mode,
                                     primary_outcome, secondary_outcome, primary_latency_ms, secondary_latency_ms, path_latency_ms)
         values ($1, 'budgets', 'create', '{}', 'prisma', 'supabase', $2, 'dual-primary-a', 'ok', $3, 5, 7, 8)`,
        [uuidv7(), secondary === 'ok' ? 'applied' : 'secondary_pending', secondary],
      );
    }
  }

  async function startWorker(env: NodeJS.ProcessEnv): Promise<INestApplicationContext> {
    app = await NestFactory.createApplicationContext(
      WorkerModule.forRoot({
        config: testPlatformConfig(controlDatabaseUrl, { NOTIFICATION_WEBHOOK: webhookUrl, DW_REDIS_PREFIX: redisKeyPrefix, ...queueEnvironment(queues), ...env }),
        entities: exampleEntities,
      }),
      { logger: ['error'] },
    );
    return app;
  }

  it('in phase 2 with 50 % secondary errors over 40 writes, flips the flags back to phase 1 and says why in the history', async () => {
    await phase2WithFailingSecondary();
    const watcher = new FlagService(new FlagRepository(pool), { redisUrl, redisKeyPrefix, cacheTtlMs: 60_000 });
    await watcher.start();
    try {
      expect((await watcher.current()).mode.phase).toBe(2);
      const worker = await startWorker({ ROLLBACK_ENABLED: 'true' });

      await worker.get(AlertsService).runOnce();

      expect(await flags.read()).toMatchObject(PHASE_1);
      const [latest] = await flags.history(1);
      expect(latest).toMatchObject({ source: 'auto-rollback', changedBy: 'auto-rollback guard', before: PHASE_2, after: PHASE_1 });
      expect(latest?.reason).toContain('secondary-error-rate');
      expect(latest?.reason).toContain('50.0 % of 40 writes');
      // Published through FlagService: a process caching flags for a minute switches at once.
      await eventually(async () => ((await watcher.current()).mode.phase === 1 ? true : undefined), 1_000, 20);
      // Failing every other secondary write is also a partial failure (exactly one store failed): two alerts.
      expect(receiver.bodies.map((body) => [body['type'], body['rule']])).toEqual([
        ['alert', 'secondary-error-rate'],
        ['alert', 'partial-failure-rate'],
        ['auto-rollback', 'secondary-error-rate'],
      ]);
    } finally {
      await watcher.close();
    }
  });

  it('rolls back once per incident: the next runs change nothing more', async () => {
    await phase2WithFailingSecondary();
    const worker = await startWorker({ ROLLBACK_ENABLED: 'true' });
    await worker.get(AlertsService).runOnce();
    const afterFirst = await flags.read();

    await worker.get(AlertsService).runOnce();
    await worker.get(AlertsService).runOnce();

    expect(await flags.read()).toEqual(afterFirst);
    expect((await flags.history(10)).filter((entry) => entry.source === 'auto-rollback')).toHaveLength(1);
    expect(receiver.bodies.filter((body) => body['type'] === 'alert').map((body) => body['rule'])).toEqual(['secondary-error-rate', 'partial-failure-rate']);
  });

  it('with ROLLBACK_ENABLED=false only alerts: one POST per alert, none for a repeat, the flags stay in phase 2', async () => {
    await phase2WithFailingSecondary();
    const worker = await startWorker({ ROLLBACK_ENABLED: 'false' });

    await worker.get(AlertsService).runOnce();
    await worker.get(AlertsService).runOnce();

    expect(await flags.read()).toMatchObject(PHASE_2);
    expect((await flags.history(10)).filter((entry) => entry.source === 'auto-rollback')).toEqual([]);
    expect(receiver.bodies).toEqual([
      expect.objectContaining({ type: 'alert', rule: 'secondary-error-rate', mode: 'dual-primary-a', rollsBack: true }),
      expect.objectContaining({ type: 'alert', rule: 'partial-failure-rate', mode: 'dual-primary-a' }),
    ]);
  });

  it('a guard switched on during an incident a disabled guard saw still rolls back', async () => {
    await phase2WithFailingSecondary();
    await (await startWorker({ ROLLBACK_ENABLED: 'false' })).get(AlertsService).runOnce();
    await app?.close();

    await (await startWorker({ ROLLBACK_ENABLED: 'true' })).get(AlertsService).runOnce();

    expect(await flags.read()).toMatchObject(PHASE_1);
    expect((await flags.history(1))[0]?.source).toBe('auto-rollback');
  });

  it('takes no step the phase gates refuse: phase 3 entered straight from phase 1 is not rolled back to phase 1', async () => {
    await setFlags(PHASE_1, 'start in phase 1');
    await setFlags(PHASE_3, 'jumped ahead behind the gates\' back');
    for (let index = 0; index < 40; index += 1) {
      const secondary = index % 2 === 0 ? 'failed' : 'ok';
      await pool.query(
        `insert into dual_write_ops (op_id, entity, operation, payload, primary_store, secondary_store, status, mode,
                                     primary_outcome, secondary_outcome, primary_latency_ms, secondary_latency_ms, path_latency_ms)
         values ($1, 'budgets', 'create', '{}', 'supabase', 'prisma', 'applied', 'dual-primary-b', 'ok', $2, 5, 7, 8)`,
        [uuidv7(), secondary],
      );
    }
    const worker = await startWorker({ ROLLBACK_ENABLED: 'true' });

    await worker.get(AlertsService).runOnce();
    await worker.get(AlertsService).runOnce();

    expect(await flags.read()).toMatchObject(PHASE_3);
    expect((await flags.history(10)).filter((entry) => entry.source === 'auto-rollback')).toEqual([]);
    expect(receiver.bodies.filter((body) => body['type'] === 'auto-rollback')).toEqual([]);
  });

  it('a healthy phase 2 raises nothing and changes nothing', async () => {
    await setFlags(PHASE_1, 'start in phase 1');
    await setFlags(PHASE_2, 'start dual writes');
    const worker = await startWorker({ ROLLBACK_ENABLED: 'true' });

    const run = await worker.get(AlertsService).runOnce();

    expect(run.alerts).toEqual([]);
    expect(await flags.read()).toMatchObject(PHASE_2);
    expect(receiver.bodies).toEqual([]);
  });
});
