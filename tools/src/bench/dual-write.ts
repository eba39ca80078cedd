import { addressOf } from '../setup/local-services';
import { supabaseLocalPidFile } from '../setup/supabase-local-process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Pool } from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { DiffQueue, ReplayQueue } from '@dualwrite/dual-write';
import { LedgerActivity } from '@dualwrite/reconcile';
import { loadEnvFiles, loadPlatformConfigOrExit } from '@dualwrite/config';
import { budgetsEntity, createExampleStores } from '@dualwrite/example-domain';
import { HttpTransport } from '@dualwrite/stores';
import { AppProcesses, isPortInUse, waitFor } from '../demo/app-processes';
import { readCommandLine } from '../cli/args';
import { BenchApi, FailureTally, adminToken } from './bench-api';
import { BENCH_USAGE, parseBenchArgs, type BenchMode, type BenchOptions } from './bench-args';
import { budgetPayload, printFlipReport, runFlipPhase } from './flip-phase';
import { describeLedger, waitUntilLedgerQuiet, waitUntilSettled } from './ledger-statuses';
import { closedLoop, openLoop, summarise, type LoadResult } from './load';
import { cpuSnapshot, cpuSpent, hostCpu, hostCpuSpent, type CpuSnapshot, type HostCpu, type ProcessGroup } from './process-cpu';
import { describeSteadyP95s, steadySeries, type SteadySeries } from './steady-series';
import { compareStores } from './store-rows';
import { NO_WAL, addWal, walCounters, walPerWrite, type WalCounters } from './wal-activity';

/**
 * `npm run bench:dual-write -- [--seconds=15] [--concurrency=16] [--burst-rate=1000] [--burst-seconds=30] [--connections=64] [--modes=1,4,2] [--latency-rate=200] [--rounds=3] [--latency-rounds=6] [--secondary-timeout-ms=N] [--flip-rate=300] [--flip-seconds=12] [--no-flip]`
 * (flags: BENCH_USAGE in bench-args.ts, `--help`; a bad command line exits 2 before anything starts)
 * HTTP write latency and throughput of the example API in mode 1 (store A only), mode 4 (store B only) and
 * mode 2 (dual write, shadow reads on), same run, same payloads; then an open-loop burst in mode 2 and a check that every
 * operation reached both stores (ledger: every one `applied`; rows; queues); then a flip of the primary (phase 2 → 3)
 * under an open-loop load, timed, and back (flip-phase.ts). Prints Markdown tables for BENCHMARKS.md; exits 1 when
 * a check of the stores or the ledger did not hold (after printing every figure).
 */
const root = path.resolve(__dirname, '..', '..', '..');

/** The flags of each mode `--modes` can name. */
const MODE_SETTINGS: Record<BenchMode, { label: string; dual: boolean; supabasePrimary: boolean }> = {
  '1': { label: 'mode 1 (store A only)', dual: false, supabasePrimary: false },
  '4': { label: 'mode 4 (store B only)', dual: false, supabasePrimary: true },
  '2': { label: 'mode 2 (dual write, verification on)', dual: true, supabasePrimary: false },
};


/** Adds one more round of a mode to what its earlier rounds measured. */
function addLoad(total: { result: LoadResult; cpu?: CpuSnapshot }, round: LoadResult, cpu?: CpuSnapshot): void {
  total.result.sent += round.sent;
  total.result.ok += round.ok;
  total.result.failed += round.failed;
  total.result.latenciesMs.push(...round.latenciesMs);
  total.result.elapsedMs += round.elapsedMs;
  if (total.cpu && cpu) for (const [label, seconds] of cpu) total.cpu.set(label, (total.cpu.get(label) ?? 0) + seconds);
}

/** One row per run: each process group's CPU milliseconds per write answered, their sum, then the `extra` columns. */
function logCpuTable<R extends { label: string; result: LoadResult; cpu: CpuSnapshot }>(
  log: (line: string) => void,
  processes: ProcessGroup[],
  rows: R[],
  extra: { headers: string[]; cells: (row: R) => string[] } = { headers: [], cells: () => [] },
): void {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  log(line(['run', ...processes.map((group) => group.label), 'all', ...extra.headers]));
  log(line(['run', ...processes, 'all', ...extra.headers].map(() => '---')).replace(/ /g, ''));
  for (const row of rows) {
    const perWrite = (seconds: number) => ((seconds * 1000) / Math.max(1, row.result.ok)).toFixed(2);
    const total = [...row.cpu.values()].reduce((sum, value) => sum + value, 0);
    log(line([row.label, ...processes.map((group) => perWrite(row.cpu.get(group.label) ?? 0)), perWrite(total), ...extra.cells(row)]));
  }
}

/** What share (in %) of the machine's CPU time `part` was. */
function shareOf(part: number, host: HostCpu): number {
  const all = host.busy + host.idle + host.stolen;
  return all > 0 ? (100 * part) / all : 0;
}

/** Longest the bench waits for an answer (undici's default): a request queued behind a burst may wait long. */
const BENCH_REQUEST_TIMEOUT_MS = 300_000;

/** One request in this many during the burst reads a row that differs on store B (a shadow-read diff). */
const READ_EVERY = 20;

/** The api's count of diffs queued so far (all severities), from its Prometheus /metrics. */
async function queuedDiffCount(apiPort: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${apiPort}/metrics`)).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith('dualwrite_diffs_total{'))
    .reduce((total, line) => total + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

function supabaseLocalPid(supabaseUrl: string): number {
  try {
    return Number(readFileSync(supabaseLocalPidFile(addressOf(supabaseUrl, 443)), 'utf8').trim());
  } catch {
    return -1;
  }
}

async function withPool<T>(url: string, work: (pool: Pool) => Promise<T>): Promise<T> {
  const pool = new Pool({ connectionString: url, max: 1 });
  try {
    return await work(pool);
  } finally {
    await pool.end();
  }
}

async function run(options: BenchOptions): Promise<void> {
  const { seconds, concurrency, burstRate, burstSeconds, modes, latencyRate, rounds, latencyRounds } = options;
  loadEnvFiles(root);
  const config = loadPlatformConfigOrExit();
  if (!config.supabase) throw new Error('the benchmark compares one store with two: configure Supabase');
  // How long a caller waits for the secondary (SECONDARY_TIMEOUT_MS of the api); the configured one unless given.
  const secondaryTimeoutMs = options.secondaryTimeoutMs ?? config.secondaryTimeoutMs;
  // Like a load balancer in front of the api: a bounded pool of kept-alive connections. An open-loop burst
  // faster than the api then queues in the client (and its wait counts in the latency) instead of opening
  // thousands of sockets that time out in the api's accept backlog.
  const transport = new HttpTransport(BENCH_REQUEST_TIMEOUT_MS, options.connections);
  if (await isPortInUse(config.apiPort)) throw new Error(`port ${config.apiPort} (API_PORT) is taken`);

  const apps = new AppProcesses();
  const apiUrl = `http://127.0.0.1:${config.apiPort}`;
  const api = new BenchApi(apiUrl, adminToken(config, 'operator'), transport);
  // The flips' PUT /admin/flags on connections of their own: writes held by a fence fill the shared pool.
  const adminTransport = new HttpTransport(BENCH_REQUEST_TIMEOUT_MS, 2);
  const admin = new BenchApi(apiUrl, adminToken(config, 'operator'), adminTransport);
  const control = new Pool({ connectionString: config.controlDatabaseUrl, max: 2 });
  const ledgerActivity = new LedgerActivity(control);
  const replayQueue = new ReplayQueue({ redisUrl: config.redisUrl });
  const diffQueue = new DiffQueue({ redisUrl: config.redisUrl });
  const { a: storeA, b: storeB } = createExampleStores(config);
  if (!storeB) throw new Error('store B is not configured (SUPABASE_URL, SUPABASE_SERVICE_ROLE_KEY)');
  const log = (line: string) => process.stdout.write(`${line}\n`);
  try {
    // The guard would (rightly) roll mode 2 back when its p95 rises against the previous phase; the bench
    // measures the mode itself, so the guard is off for its processes.
    const env = { ...process.env, LOG_LEVEL: 'warn', ROLLBACK_ENABLED: 'false', SECONDARY_TIMEOUT_MS: String(secondaryTimeoutMs) };
    log(`api: SECONDARY_TIMEOUT_MS=${secondaryTimeoutMs} (how long a caller waits for the secondary), BATCH_INSERTS=${String(config.batchInserts)}, SYNC_GATHER_MS=${process.env['SYNC_GATHER_MS'] || 'default'}`);
    // The ledger grows by every run on the dev database; a statement reading all of it shows as a run slower than the last.
    const { rows: ledgerSize } = await control.query<{ operations: number }>('select count(*)::integer as operations from dual_write_ops');
    log(`ledger: ${ledgerSize[0]?.operations ?? 0} operations at the start`);
    apps.start('api', 'apps/api/src/main.ts', env);
    apps.start('worker', 'apps/worker/src/main.ts', env);
    await waitFor('api', async () => ((await fetch(`http://127.0.0.1:${config.apiPort}/health/live`)).ok ? true : undefined), 60_000);

    // The bench jumps between modes to measure each one (1 → 4 is no step): forced past the phase gates, which the
    // history records with the reason. A migration takes the steps, with copy-data and reconcile-data in between.
    const setMode = async (enableDualWrite: boolean, reason: string, enableSupabasePrimary = false) => {
      await api.expect('PUT', '/admin/flags', 200, { enableDualWrite, enableSupabasePrimary, reason, force: true });
      await new Promise((resolve) => setTimeout(resolve, 1_200));
    };
    await setMode(true, 'bench: owner on both stores');
    const owner = await api.expect('POST', '/api/users', 201, { email: `bench-${Date.now()}@example.test`, displayName: 'Bench' });
    const ownerId = String(owner.body['id']);
    const ids: string[] = [];
    // Why requests failed, counted by status (or the client's error) and message, for the report.
    const failures = new FailureTally();
    // With `opIds`, the write carries an Idempotency-Key of its own, noted there: the ledger is then read for
    // exactly the writes sent. Without, the request is the one earlier runs measured.
    const write = async (index: number, opIds?: string[]) => {
      let headers: Record<string, string> | undefined;
      if (opIds) {
        const opId = uuidv7();
        opIds.push(opId);
        headers = { 'idempotency-key': opId };
      }
      const response = await api.send(failures, 'POST', '/api/budgets', 201, budgetPayload(ownerId, 'bench', index), headers);
      if (response.status === 201) ids.push(String((response.body as { id: string }).id));
      return response.status === 201;
    };

    const processes: ProcessGroup[] = [
      { label: 'api', pids: [apps.pid('api') ?? -1] },
      { label: 'worker', pids: [apps.pid('worker') ?? -1] },
      { label: 'supabase-local', pids: [supabaseLocalPid(config.supabase.url)] },
      { label: 'postgres', command: 'postgres' },
      { label: 'redis', command: 'redis-server' },
      { label: 'bench client', pids: [process.pid] },
    ];
    const runs: { label: string; result: LoadResult; cpu: CpuSnapshot; wal: WalCounters }[] = [];
    const paced: { label: string; result: LoadResult; roundP95s: number[]; wal: WalCounters; cpu: CpuSnapshot; host: HostCpu; roundStolen: number[] }[] = [];
    // Every mode's code paths are warmed (JIT, pools, batchers) before any is measured, so the first mode
    // measured is not the one that pays for a cold process.
    for (const mode of modes) {
      const settings = MODE_SETTINGS[mode];
      await setMode(settings.dual, `bench: warm-up ${settings.label}`, settings.supabasePrimary);
      await closedLoop(write, concurrency, 3_000);
    }
    // The modes take turns in rounds, so drift over the run (tables growing, the worker's minute crons)
    // falls on every mode alike; each mode's rounds are added up. Before each, the ledger and the written tables are
    // vacuumed, as autovacuum would have done by then: a server running without it (this machine's) would otherwise
    // make each mode pay for the dead rows of the modes before it, mode 2 (three ledger versions a write) most.
    const vacuum = async () => {
      await control.query('vacuum (analyze) dual_write_ops, dual_write_diffs, budgets');
      if (config.supabase?.dbUrl) await withPool(config.supabase.dbUrl, (pool) => pool.query('vacuum (analyze) budgets'));
    };
    const roundMs = (seconds * 1000) / rounds;
    const tails = new Map<string, { most: number; longestMs: number }>();
    for (let round = 0; round < rounds; round += 1) {
      for (const [index, mode] of modes.entries()) {
        const settings = MODE_SETTINGS[mode];
        await vacuum();
        await setMode(settings.dual, `bench: ${settings.label}, round ${round + 1}`, settings.supabasePrimary);
        const since = await ledgerActivity.now();
        await closedLoop(write, concurrency, 1_000);
        const before = cpuSnapshot(processes);
        const walBefore = await walCounters(control);
        const result = await closedLoop(write, concurrency, roundMs);
        // Mode 2 answers before its syncs: they settle here, inside the mode's CPU and WAL figures.
        const tail = await waitUntilLedgerQuiet(control, since, 60_000);
        const cpu = cpuSpent(before, cpuSnapshot(processes));
        const walAfter = await walCounters(control);
        const seen = tails.get(settings.label) ?? { most: 0, longestMs: 0 };
        tails.set(settings.label, { most: Math.max(seen.most, tail.atStart), longestMs: Math.max(seen.longestMs, tail.waitedMs) });
        if (tail.left > 0) throw new Error(`${settings.label}: ${tail.left} operations still unsettled ${tail.waitedMs.toFixed(0)} ms after the full load`);
        if (round === 0) runs.push({ label: settings.label, result, cpu, wal: NO_WAL });
        else addLoad(runs[index] as (typeof runs)[number], result, cpu);
        const fullLoad = runs[index] as (typeof runs)[number];
        fullLoad.wal = addWal(fullLoad.wal, walBefore, walAfter);
      }
    }

    // Latency at a steady rate every mode can serve: the path's own time, not the queueing of a saturated box. Its
    // rounds run apart from the full load's (a mode measured right after its own full load would pay for that load's
    // dirty pages), shorter and more of them, and each round starts with another mode, so what the shared disk does
    // over the minutes falls on every mode alike. Each round is preceded by a second at the same rate, unmeasured.
    // With the control on, the first single-store mode is measured as a second series as well (after the modes,
    // so the tables below keep one row per mode first).
    const series = steadySeries(modes, options.control);
    await vacuum();
    const latencyRoundMs = (seconds * 1000) / latencyRounds;
    for (let round = 0; round < latencyRounds; round += 1) {
      for (let turn = 0; turn < series.length; turn += 1) {
        const index = (round + turn) % series.length;
        const { mode, control: isControl } = series[index] as SteadySeries;
        const settings = { ...MODE_SETTINGS[mode], label: isControl ? `${MODE_SETTINGS[mode].label}, again (control)` : MODE_SETTINGS[mode].label };
        await setMode(settings.dual, `bench: ${settings.label}, steady round ${round + 1}`, settings.supabasePrimary);
        await openLoop(write, latencyRate, 1_000);
        const walBefore = await walCounters(control);
        const cpuBefore = cpuSnapshot(processes);
        const hostBefore = hostCpu();
        const steady = await openLoop(write, latencyRate, latencyRoundMs);
        const host = hostCpuSpent(hostBefore, hostCpu());
        const cpu = cpuSpent(cpuBefore, cpuSnapshot(processes));
        const walAfter = await walCounters(control);
        const total = paced[index] ?? {
          label: settings.label,
          result: { sent: 0, ok: 0, failed: 0, latenciesMs: [], elapsedMs: 0 },
          roundP95s: [],
          wal: NO_WAL,
          cpu: new Map(),
          host: { busy: 0, idle: 0, stolen: 0 },
          roundStolen: [],
        };
        paced[index] = total;
        addLoad(total, steady, cpu);
        total.host = { busy: total.host.busy + host.busy, idle: total.host.idle + host.idle, stolen: total.host.stolen + host.stolen };
        total.roundP95s.push(summarise(steady).p95);
        total.roundStolen.push(shareOf(host.stolen, host));
        total.wal = addWal(total.wal, walBefore, walAfter);
      }
    }

    log(`Full load (closed loop, ${concurrency} callers, ${seconds} s per mode in ${rounds} rounds):`);
    log('');
    log(`| run | requests | ok | p50 ms | p95 ms | writes/s |`);
    log(`|---|---|---|---|---|---|`);
    for (const { label, result } of runs) {
      const { p50, p95, throughput } = summarise(result);
      log(`| ${label} | ${result.sent} | ${result.ok} | ${p50.toFixed(1)} | ${p95.toFixed(1)} | ${throughput.toFixed(0)} |`);
    }
    for (const [label, tail] of tails) {
      if (tail.most > 0) log(`${label}: at most ${tail.most} writes still syncing when a full-load round ended; settled within ${tail.longestMs.toFixed(0)} ms`);
    }
    log('');
    log(`At a steady ${latencyRate} writes/s (open loop, ${seconds} s per mode in ${latencyRounds} rounds of its own, each mode first in turn):`);
    log('');
    log(`| run | requests | ok | p50 ms | p95 ms | p99 ms | p95 ms per round |`);
    log(`|---|---|---|---|---|---|---|`);
    for (const { label, result, roundP95s } of paced) {
      const { p50, p95, p99 } = summarise(result);
      log(`| ${label} | ${result.sent} | ${result.ok} | ${p50.toFixed(1)} | ${p95.toFixed(1)} | ${p99.toFixed(1)} | ${roundP95s.map((value) => value.toFixed(1)).join(' / ')} |`);
    }
    log('');
    for (const line of describeSteadyP95s(series.map((entry, index) => ({ ...entry, p95: summarise((paced[index] as (typeof paced)[number]).result).p95 })))) log(line);
    log('');
    log(`CPU milliseconds per write at full load, by process (user + system, from /proc):`);
    log('');
    logCpuTable(log, processes, runs);
    log('');
    // At the steady rate the box is far from idle: how busy it was, and how much of its time the hypervisor gave to
    // other guests, tell a round that was slow for the mode from one that was slow for the machine.
    log(`CPU milliseconds per write at ${latencyRate}/s, by process; the machine's CPUs busy, and stolen by the hypervisor (/proc/stat):`);
    log('');
    logCpuTable(log, processes, paced, {
      headers: ['busy', 'stolen', 'stolen % per round'],
      cells: (run) => [`${shareOf(run.host.busy, run.host).toFixed(0)} %`, `${shareOf(run.host.stolen, run.host).toFixed(0)} %`, run.roundStolen.map((share) => share.toFixed(0)).join(' / ')],
    });
    log('');
    // Every synchronous commit waits for a WAL flush; the stores and the control tables share this server here.
    log(`WAL per write, whole PostgreSQL server (pg_stat_wal; a flush is one fsync that commits waited for):`);
    log('');
    log(`| run | full load: records | KB | flushes | at ${latencyRate}/s: records | KB | flushes |`);
    log(`|---|---|---|---|---|---|---|`);
    for (const [index, { label, result, wal }] of runs.entries()) {
      const steady = paced[index] as (typeof paced)[number];
      log(`| ${label} | ${walPerWrite(wal, result.ok)} | ${walPerWrite(steady.wal, steady.result.ok)} |`);
    }

    // The steady rounds end on whichever mode came last in the rotation.
    await setMode(true, 'bench: mode 2 for the burst');
    // Rows that differ on store B on purpose: the burst reads them now and then, so its shadow reads queue
    // diffs, and the check below can tell whether every queued diff was stored.
    const drifted: string[] = [];
    const driftOpIds: string[] = [];
    for (let index = 0; index < 20; index += 1) {
      const created = await api.expect('POST', '/api/budgets', 201, { ownerId, name: `drift ${index}`, amount: '1.00', currency: 'EUR', metadata: {} });
      drifted.push(String(created.body['id']));
      driftOpIds.push(String(created.headers.get('x-dualwrite-op-id')));
    }
    // Store B gets these rows from the sync after the answer: change them there only once it has them.
    const driftLedger = await waitUntilSettled(control, driftOpIds, 30_000);
    if (driftLedger.byStatus.get('applied') !== drifted.length) throw new Error(`the drifted rows did not reach store B: ${describeLedger(driftLedger)}`);
    for (const id of drifted) await storeB.update(budgetsEntity, id, { name: 'changed on store B only' });
    let burstReads = 0;
    const burstOpIds: string[] = [];
    const writeOrRead = async (index: number) => {
      if (index % READ_EVERY !== 0) return write(index, burstOpIds);
      burstReads += 1;
      return (await api.send(failures, 'GET', `/api/budgets/${drifted[(index / READ_EVERY) % drifted.length]}`, 200)).status === 200;
    };

    const burstIds = ids.length;
    const burstStarted = new Date();
    // Checks that did not hold; the bench prints every figure, then exits 1 naming them.
    const problems: string[] = [];
    const diffsBefore = await queuedDiffCount(config.apiPort);
    const burst = await openLoop(writeOrRead, burstRate, burstSeconds * 1000);
    const burstSummary = summarise(burst);
    log('');
    log(`Burst (open loop, mode 2):`);
    log('');
    log(`| run | requests | ok | p50 ms | p95 ms | answered/s |`);
    log(`|---|---|---|---|---|---|`);
    log(`| burst ${burstRate}/s for ${burstSeconds} s, mode 2 (1 in ${READ_EVERY} a read) | ${burst.sent} | ${burst.ok} | ${burstSummary.p50.toFixed(1)} | ${burstSummary.p95.toFixed(1)} | ${burstSummary.throughput.toFixed(0)} |`);

    // Every write of the burst reached both stores once its operation is `applied`, and only then: wait until none
    // is unsettled (the secondary's sync runs after the answer, and a replay after that).
    const burstLedger = await waitUntilSettled(control, burstOpIds, 600_000);
    // Shadow reads finish after their answers: wait until the api's diff count stops moving and both queues are empty.
    let diffsQueued = -1;
    await waitFor(
      'replay and diff queues drained',
      async () => {
        const now = (await queuedDiffCount(config.apiPort)) - diffsBefore;
        const settled = now === diffsQueued && (await replayQueue.depth()) + (await diffQueue.depth()) === 0;
        diffsQueued = now;
        return settled ? true : undefined;
      },
      600_000,
    );
    const { rows: replayed } = await control.query<{ n: string }>(
      `select count(*) as n from dual_write_ops where op_id = any($1::uuid[]) and secondary_outcome in ('failed', 'timeout', 'skipped')`,
      [burstOpIds],
    );
    const { rows: storedDiffs } = await control.query<{ n: string }>('select count(*) as n from dual_write_diffs where created_at >= $1', [burstStarted]);
    const burstRowIds = ids.slice(burstIds);
    const burstRows = await compareStores(storeA, storeB, budgetsEntity, burstRowIds);
    const everyApplied = burstLedger.byStatus.get('applied') === burstOpIds.length;
    log('');
    log(`burst: ${burstOpIds.length} writes sent, ${burstRowIds.length} answered 201; ${burstReads} reads; ${burst.failed} requests failed`);
    for (const [reason, count] of failures.top()) log(`  failed ${count}×: ${reason}`);
    log(`rows of the burst's writes answered 201: on store A ${burstRows.a.count}, on store B ${burstRows.b.count}, checksums ${burstRows.equal ? 'equal' : 'DIFFERENT'}`);
    log(`ledger for the burst's writes once settled: ${describeLedger(burstLedger)}; writes that went through replay: ${replayed[0]?.n ?? 0}`);
    log(`every operation reached both stores (every write of the burst applied): ${everyApplied ? 'yes' : 'NO'}`);
    log(`diffs queued by the api during the burst ${diffsQueued}, stored by the worker ${storedDiffs[0]?.n ?? 0}`);
    if (!everyApplied) problems.push(`burst: not every write is applied (${describeLedger(burstLedger)})`);
    if (!burstRows.equal || burstRows.a.count !== burstRowIds.length) {
      problems.push(`burst: of ${burstRowIds.length} rows answered 201, store A holds ${burstRows.a.count} and store B ${burstRows.b.count} (checksums ${burstRows.equal ? 'equal' : 'differ'})`);
    }

    if (options.flip) {
      await setMode(true, 'bench: phase 2 before the flip');
      const report = await runFlipPhase({ api, admin, control, storeA, storeB, ownerId }, options.flip);
      problems.push(...printFlipReport(report, log));
    }
    await setMode(false, 'bench: back to phase 1');
    if (problems.length > 0) {
      log('');
      for (const problem of problems) log(`check failed: ${problem}`);
      process.exitCode = 1;
    }
  } finally {
    await apps.stopAll();
    await Promise.allSettled([replayQueue.close(), diffQueue.close(), storeA.close(), storeB.close(), control.end(), transport.close(), adminTransport.close()]);
  }
}

async function main(): Promise<void> {
  const request = readCommandLine(parseBenchArgs, BENCH_USAGE);
  if (request) await run(request);
}

main().catch((error: unknown) => {
  process.stderr.write(`[bench] failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
