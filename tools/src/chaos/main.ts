import { readFileSync } from 'node:fs';
import path from 'node:path';
import Redis from 'ioredis';
import { Pool } from 'pg';
import { v4 as uuidv4 } from 'uuid';
import { loadEnvFiles, loadPlatformConfigOrExit } from '@dualwrite/config';
import { budgetsEntity, createExampleStores } from '@dualwrite/example-domain';
import { HttpTransport, type StorePlugin } from '@dualwrite/stores';
import { readCommandLine } from '../cli/args';
import { AppProcesses, isPortInUse, waitFor } from '../demo/app-processes';
import { budgetPayload } from '../bench/flip-phase';
import { BenchApi, adminToken } from '../bench/bench-api';
import { compareRows, rowsOf } from '../bench/store-rows';
import { addressOf } from '../setup/local-services';
import { supabaseLocalPidFile } from '../setup/supabase-local-process';
import { CHAOS_USAGE, parseChaosArgs, type ChaosOptions } from './chaos-args';
import { chaosVerdict, isRetryable, type SentWrite } from './chaos-verdict';
import { FAULT_SCHEDULE, type Fault } from './fault-schedule';

/**
 * `npm run chaos`: the real api and worker on the dev databases under writes while FAULT_SCHEDULE kills them, pauses
 * store B, flushes Redis and flips the primary; then every write without a final answer is retried with its key, and
 * once the ledger has settled the invariants are checked on both stores (chaos-verdict.ts).
 */
const root = path.resolve(__dirname, '..', '..', '..');
const log = (line: string) => process.stdout.write(`[chaos ${new Date().toISOString().slice(11, 23)}] ${line}\n`);
/** Long enough for a write held by a fence and a store that stopped answering. */
const REQUEST_TIMEOUT_MS = 20_000;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Write extends SentWrite {
  opId: string;
  body?: Record<string, unknown>;
}

/** Sends the write (again) with its Idempotency-Key and keeps its answer's status; null when none came. */
async function send(api: BenchApi, write: Write): Promise<void> {
  const route = write.kind === 'create' ? '/api/budgets' : `/api/budgets/${write.id}`;
  const method = write.kind === 'create' ? 'POST' : write.kind === 'update' ? 'PATCH' : 'DELETE';
  try {
    write.status = (await api.request(method, route, write.body, { 'idempotency-key': write.opId })).status;
  } catch {
    write.status = null;
  }
}

/** The child's pid, or an error: a missing one must never reach process.kill (-1 would signal every process). */
function pidOf(apps: AppProcesses, name: 'api' | 'worker'): number {
  const pid = apps.pid(name);
  if (!pid || pid <= 0) throw new Error(`the ${name} has no process to kill`);
  return pid;
}

function tally(writes: Write[]): string {
  const counts = new Map<string, number>();
  for (const write of writes) counts.set(`${write.kind} ${write.status ?? 'no answer'}`, (counts.get(`${write.kind} ${write.status ?? 'no answer'}`) ?? 0) + 1);
  return [...counts].map(([what, count]) => `${count} ${what}`).join(', ');
}

async function run(options: ChaosOptions): Promise<boolean> {
  loadEnvFiles(root);
  const config = loadPlatformConfigOrExit();
  if (!config.supabase) throw new Error('the chaos run needs store B: configure Supabase (SUPABASE_URL, SUPABASE_SERVICE_ROLE_KEY)');
  if (await isPortInUse(config.apiPort)) throw new Error(`port ${config.apiPort} (API_PORT) is taken: stop the api that runs there first`);
  const pidFile = supabaseLocalPidFile(addressOf(config.supabase.url, 443));
  const supabasePid = Number(readFileSync(pidFile, 'utf8').trim());
  if (!Number.isSafeInteger(supabasePid) || supabasePid <= 0) throw new Error(`${pidFile} holds no pid: start supabase-local with npm run setup`);
  const apiUrl = `http://127.0.0.1:${config.apiPort}`;
  const transport = new HttpTransport(REQUEST_TIMEOUT_MS, 64);
  const api = new BenchApi(apiUrl, adminToken(config, 'operator'), transport);
  // The flips on connections of their own: writes held by a fence fill the shared ones.
  const adminTransport = new HttpTransport(REQUEST_TIMEOUT_MS, 2);
  const admin = new BenchApi(apiUrl, adminToken(config, 'operator'), adminTransport);
  const env = { ...process.env, LOG_LEVEL: 'warn', ROLLBACK_ENABLED: String(options.rollbackGuard), DW_STOPPED_PROCESS_GRACE_MS: '15000' };
  const apps = new AppProcesses();
  const control = new Pool({ connectionString: config.controlDatabaseUrl, max: 2 });
  const redis = new Redis(config.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  const { a: storeA, b: storeB } = createExampleStores(config);
  const startApi = async () => {
    apps.start('api', 'apps/api/src/main.ts', env);
    await waitFor('api', async () => ((await fetch(`${apiUrl}/health/live`)).ok ? true : undefined), 60_000);
  };
  // Each scheduled flip is sent again until answered 200, unless a later one was scheduled meanwhile.
  let latestFlip = 0;
  const flip = async (toPhase: 2 | 3) => {
    const flipNumber = ++latestFlip;
    for (let attempt = 1; attempt <= 10 && flipNumber === latestFlip; attempt++) {
      const answer = await admin
        .request('PUT', '/admin/flags', { enableDualWrite: true, enableSupabasePrimary: toPhase === 3, reason: `chaos: to phase ${toPhase}`, force: true })
        .catch((error: unknown) => ({ status: null, body: String(error) }));
      const message = (answer.body as { message?: unknown } | null)?.message;
      log(`flip to phase ${toPhase}: ${answer.status ?? 'no answer'}${answer.status === 200 ? '' : ` ${String(message ?? answer.body).slice(0, 240)}`}`);
      if (answer.status === 200) return;
      await pause(3_000);
    }
  };
  const apply = async (fault: Fault) => {
    if (fault.kind === 'kill') process.kill(pidOf(apps, fault.process), 'SIGKILL');
    if (fault.kind === 'start' && fault.process === 'api') await startApi();
    if (fault.kind === 'start' && fault.process === 'worker') apps.start('worker', 'apps/worker/src/main.ts', env);
    if (fault.kind === 'pause-store-b') process.kill(supabasePid, 'SIGSTOP');
    if (fault.kind === 'resume-store-b') process.kill(supabasePid, 'SIGCONT');
    if (fault.kind === 'flush-redis') await redis.flushall();
    if (fault.kind === 'flip') await flip(fault.toPhase);
  };

  try {
    if (!storeB) throw new Error('store B is not configured');
    await redis.connect();
    await startApi();
    apps.start('worker', 'apps/worker/src/main.ts', env);
    await flip(2);
    await pause(1_500);
    const owner = await api.request('POST', '/api/users', { email: `chaos-${Date.now()}@example.test`, displayName: 'Chaos' });
    const ownerId = String((owner.body as { id?: unknown }).id);

    const writes: Write[] = [];
    const live: string[] = [];
    const timers = FAULT_SCHEDULE.map(({ atSeconds, fault, why }) =>
      setTimeout(() => {
        log(`${atSeconds} s: ${fault.kind}${'process' in fault ? ` ${fault.process}` : ''} (${why})`);
        apply(fault).catch((error: unknown) => log(`${fault.kind} failed: ${error instanceof Error ? error.message : String(error)}`));
      }, atSeconds * 1000),
    );
    const inFlight: Promise<void>[] = [];
    const started = Date.now();
    for (let index = 0; Date.now() - started < options.seconds * 1000; index++) {
      const roll = index % 10;
      let write: Write;
      if (live.length < 20 || roll < 6) {
        const id = uuidv4();
        write = { opId: uuidv4(), kind: 'create', id, body: { id, ...budgetPayload(ownerId, 'chaos', index) }, status: null };
      } else if (roll < 9) {
        write = { opId: uuidv4(), kind: 'update', id: live[index % live.length] as string, body: { name: `renamed ${index}` }, status: null };
      } else {
        write = { opId: uuidv4(), kind: 'delete', id: live.splice(index % live.length, 1)[0] as string, status: null };
      }
      writes.push(write);
      const sent = write;
      inFlight.push(send(api, sent).then(() => void (sent.kind === 'create' && sent.status === 201 && live.push(sent.id))));
      await pause(1000 / options.rate);
    }
    await Promise.all(inFlight);
    timers.forEach(clearTimeout);
    log(`writes over: ${writes.length} sent; first answers: ${tally(writes)}`);

    for (let round = 1; round <= 40 && writes.some((write) => isRetryable(write.status)); round++) {
      await pause(4_000);
      const open = writes.filter((write) => isRetryable(write.status));
      log(`retry ${round}: ${open.length} write(s) with their keys`);
      for (const write of open) await send(api, write);
    }
    log(`final answers: ${tally(writes)}`);

    const ids = [...new Set(writes.map((write) => write.id))];
    const opIds = writes.map((write) => write.opId);
    const deadline = Date.now() + options.settleSeconds * 1000;
    let observed = await observe(control, storeA, storeB, ids, opIds);
    while (!(observed.storesEqual && observed.openOperations === 0) && Date.now() < deadline) {
      await pause(5_000);
      observed = await observe(control, storeA, storeB, ids, opIds);
    }
    const verdict = chaosVerdict({ writes, ...observed });
    const flags = await control.query<{ enable_dual_write: boolean; enable_supabase_primary: boolean }>('select enable_dual_write, enable_supabase_primary from dual_write_flags where id = 1');
    log(`flags at the end: ${JSON.stringify(flags.rows[0])}; ledger: ${observed.statuses}`);
    log(`acknowledged creates: ${verdict.acknowledgedCreates}; missing on store A: ${verdict.missingOnA.length}, on store B: ${verdict.missingOnB.length}`);
    log(`acknowledged deletes whose row is back: ${verdict.deletedButPresent.length}; refused creates with a row: ${verdict.refusedButPresent.length}`);
    log(`writes without a final answer: ${verdict.unanswered}; stores equal with the ledger settled: ${verdict.converged}`);
    for (const id of [...verdict.missingOnA, ...verdict.missingOnB, ...verdict.deletedButPresent, ...verdict.refusedButPresent].slice(0, 10)) log(`  broken: ${id}`);
    log(verdict.holds ? 'every invariant held' : 'AN INVARIANT DID NOT HOLD');
    return verdict.holds;
  } finally {
    process.kill(supabasePid, 'SIGCONT');
    await apps.stopAll();
    await Promise.allSettled([control.end(), redis.quit(), storeA.close(), storeB?.close(), transport.close(), adminTransport.close()]);
  }
}

async function observe(control: Pool, storeA: StorePlugin, storeB: StorePlugin, ids: string[], opIds: string[]) {
  const sorted = [...new Set(ids)].sort();
  const [{ rows }, rowsA, rowsB] = await Promise.all([
    control.query<{ status: string; n: number }>('select status, count(*)::integer as n from dual_write_ops where op_id = any($1::uuid[]) group by status order by status', [opIds]),
    rowsOf(storeA, budgetsEntity, sorted),
    rowsOf(storeB, budgetsEntity, sorted),
  ]);
  return {
    onA: new Set(rowsA.map((row) => String(row['id']))),
    onB: new Set(rowsB.map((row) => String(row['id']))),
    storesEqual: compareRows(budgetsEntity, rowsA, rowsB).equal,
    openOperations: rows.filter((row) => !['applied', 'rejected', 'abandoned'].includes(row.status)).reduce((sum, row) => sum + row.n, 0),
    statuses: rows.map((row) => `${row.n} ${row.status}`).join(', '),
  };
}

const request = readCommandLine(parseChaosArgs, CHAOS_USAGE);
if (request) {
  run(request).then(
    (holds) => {
      process.exitCode = holds ? 0 : 1;
    },
    (error: unknown) => {
      process.stderr.write(`chaos run failed: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 2;
    },
  );
}
