import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Pool } from 'pg';
import {
  DiffQueue,
  PrismaStore,
  ReplayQueue,
  SupabaseStore,
  loadEnvFiles,
  loadPlatformConfigOrExit,
  type PlatformConfig,
} from '@dualwrite/dual-write';
import { budgetsEntity, createPrismaClient } from '@dualwrite/example-domain';
import { AppProcesses, isPortInUse, waitFor } from '../demo/app-processes';
import { DemoApi } from '../demo/api-client';
import { closedLoop, openLoop, summarise, type LoadResult } from './load';
import { cpuSnapshot, cpuSpent, type CpuSnapshot, type ProcessGroup } from './process-cpu';

/**
 * `npm run bench:dual-write -- [--seconds=15] [--concurrency=16] [--burst-rate=1000] [--burst-seconds=30]`
 * HTTP write latency and throughput of the example API in mode 1 (store A only), mode 4 (store B only) and
 * mode 2 (dual write, shadow reads on), same run, same payloads; then an open-loop burst in mode 2 and a check that every
 * operation reached both stores (ledger, rows, queues). Prints a Markdown table for BENCHMARKS.md.
 */
const root = path.resolve(__dirname, '..', '..', '..');

function flag(name: string, fallback: number): number {
  const arg = process.argv.find((value) => value.startsWith(`--${name}=`));
  if (!arg) return fallback;
  const value = Number(arg.slice(name.length + 3));
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number, got "${arg.slice(name.length + 3)}"`);
  return value;
}

/** `--modes=1,4,2`: which modes to measure, in that order (the burst always runs in mode 2). */
function modesFlag(): string[] {
  const arg = process.argv.find((value) => value.startsWith('--modes='));
  const modes = arg ? arg.slice('--modes='.length).split(',') : ['1', '4', '2'];
  const unknown = modes.filter((mode) => !['1', '2', '4'].includes(mode));
  if (unknown.length > 0 || modes.length === 0) throw new Error(`--modes takes 1, 4 and 2 separated by commas, got "${arg ?? ''}"`);
  return modes;
}

function token(config: PlatformConfig, role: string): string {
  const entry = config.adminTokens.find((candidate) => candidate.role === role) ?? config.adminTokens.find((candidate) => candidate.role === 'admin');
  if (!entry) throw new Error(`ADMIN_TOKENS needs a ${role} or admin token`);
  return entry.token;
}

function supabaseLocalPid(): number {
  try {
    return Number(readFileSync(path.join(root, 'tmp', 'supabase-local.pid'), 'utf8').trim());
  } catch {
    return -1;
  }
}

async function main(): Promise<void> {
  loadEnvFiles(root);
  const config = loadPlatformConfigOrExit();
  if (!config.supabase) throw new Error('the benchmark compares one store with two: configure Supabase');
  const seconds = flag('seconds', 15);
  const concurrency = flag('concurrency', 16);
  const burstRate = flag('burst-rate', 1000);
  const burstSeconds = flag('burst-seconds', 30);
  const modes = modesFlag();
  if (await isPortInUse(config.apiPort)) throw new Error(`port ${config.apiPort} (API_PORT) is taken`);

  const apps = new AppProcesses();
  const api = new DemoApi(`http://127.0.0.1:${config.apiPort}`, token(config, 'operator'));
  const control = new Pool({ connectionString: config.controlDatabaseUrl, max: 2 });
  const replayQueue = new ReplayQueue({ redisUrl: config.redisUrl });
  const diffQueue = new DiffQueue({ redisUrl: config.redisUrl });
  const storeA = new PrismaStore(createPrismaClient(config.primaryDatabaseUrl), { ownsClient: true });
  const storeB = new SupabaseStore({ url: config.supabase.url, serviceRoleKey: config.supabase.serviceRoleKey, databaseUrl: config.supabase.dbUrl });
  const log = (line: string) => process.stdout.write(`${line}\n`);
  try {
    // The guard would (rightly) roll mode 2 back when its p95 rises against the previous phase; the bench
    // measures the mode itself, so the guard is off for its processes.
    const env = { ...process.env, LOG_LEVEL: 'warn', ROLLBACK_ENABLED: 'false' };
    apps.start('api', 'apps/api/src/main.ts', env);
    apps.start('worker', 'apps/worker/src/main.ts', env);
    await waitFor('api', async () => ((await fetch(`http://127.0.0.1:${config.apiPort}/health/live`)).ok ? true : undefined), 60_000);

    const setMode = async (enableDualWrite: boolean, reason: string, enableSupabasePrimary = false) => {
      await api.expect('PUT', '/admin/flags', 200, { enableDualWrite, enableSupabasePrimary, reason });
      await new Promise((resolve) => setTimeout(resolve, 1_200));
    };
    await setMode(true, 'bench: owner on both stores');
    const owner = await api.expect('POST', '/api/users', 201, { email: `bench-${Date.now()}@example.test`, displayName: 'Bench' });
    const ownerId = String(owner.body['id']);
    const ids: string[] = [];
    const write = async (index: number) => {
      const response = await api.request('POST', '/api/budgets', { ownerId, name: `bench ${index}`, amount: `${index % 1000}.25`, currency: 'EUR', metadata: { i: index } });
      if (response.status === 201) ids.push(String((response.body as { id: string }).id));
      return response.status === 201;
    };

    const processes: ProcessGroup[] = [
      { label: 'api', pids: [apps.pid('api') ?? -1] },
      { label: 'worker', pids: [apps.pid('worker') ?? -1] },
      { label: 'supabase-local', pids: [supabaseLocalPid()] },
      { label: 'postgres', command: 'postgres' },
      { label: 'redis', command: 'redis-server' },
      { label: 'bench client', pids: [process.pid] },
    ];
    const runs: { label: string; result: LoadResult; cpu: CpuSnapshot }[] = [];
    const measure = async (label: string) => {
      await closedLoop(write, concurrency, 2_000); // warm-up
      const before = cpuSnapshot(processes);
      const result = await closedLoop(write, concurrency, seconds * 1000);
      runs.push({ label, result, cpu: cpuSpent(before, cpuSnapshot(processes)) });
    };
    for (const mode of modes) {
      if (mode === '1') {
        await setMode(false, 'bench: mode 1');
        await measure('mode 1 (store A only)');
      } else if (mode === '4') {
        await setMode(false, 'bench: mode 4', true);
        await measure('mode 4 (store B only)');
      } else {
        await setMode(true, 'bench: mode 2');
        await measure('mode 2 (dual write, verification on)');
      }
    }

    log(`| run | requests | ok | p50 ms | p95 ms | writes/s |`);
    log(`|---|---|---|---|---|---|`);
    for (const { label, result } of runs) {
      const { p50, p95, throughput } = summarise(result);
      log(`| ${label} | ${result.sent} | ${result.ok} | ${p50.toFixed(1)} | ${p95.toFixed(1)} | ${throughput.toFixed(0)} |`);
    }
    log('');
    log(`CPU milliseconds per write, by process (user + system, from /proc):`);
    log('');
    log(`| run | ${processes.map((group) => group.label).join(' | ')} | all |`);
    log(`|---|${processes.map(() => '---|').join('')}---|`);
    for (const { label, result, cpu } of runs) {
      const perWrite = (seconds: number) => ((seconds * 1000) / Math.max(1, result.ok)).toFixed(2);
      const total = [...cpu.values()].reduce((sum, value) => sum + value, 0);
      log(`| ${label} | ${processes.map((group) => perWrite(cpu.get(group.label) ?? 0)).join(' | ')} | ${perWrite(total)} |`);
    }

    if (modes[modes.length - 1] !== '2') await setMode(true, 'bench: mode 2 for the burst');
    const burstIds = ids.length;
    const burstStarted = new Date();
    const burst = await openLoop(write, burstRate, burstSeconds * 1000);
    const burstSummary = summarise(burst);
    log(`| burst ${burstRate}/s for ${burstSeconds} s, mode 2 | ${burst.sent} | ${burst.ok} | ${burstSummary.p50.toFixed(1)} | ${burstSummary.p95.toFixed(1)} | ${burstSummary.throughput.toFixed(0)} |`);

    await waitFor('replay and diff queues drained', async () => ((await replayQueue.depth()) + (await diffQueue.depth()) === 0 ? true : undefined), 300_000);
    const { rows: counts } = await control.query<{ status: string; n: string }>(
      'select status, count(*) as n from dual_write_ops where created_at >= $1 group by status order by status',
      [burstStarted],
    );
    const burstRowIds = ids.slice(burstIds);
    let onA = 0;
    let onB = 0;
    for (let start = 0; start < burstRowIds.length; start += 500) {
      const chunk = burstRowIds.slice(start, start + 500);
      onA += (await storeA.findManyByIds(budgetsEntity, chunk)).length;
      onB += (await storeB.findManyByIds(budgetsEntity, chunk)).length;
    }
    log('');
    log(`burst: ${burst.ok} writes answered 201, ${burst.failed} failed; rows on store A ${onA}, on store B ${onB}`);
    log(`ledger for the burst after the queues drained: ${counts.map((row) => `${row.status} ${row.n}`).join(', ')}`);
    await setMode(false, 'bench: back to phase 1');
  } finally {
    await apps.stopAll();
    await Promise.allSettled([replayQueue.close(), diffQueue.close(), storeA.close(), storeB.close(), control.end()]);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`[bench] failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
