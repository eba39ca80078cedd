import path from 'node:path';
import { Pool } from 'pg';
import { DiffRepository, OperationLedger, closeRedis, openRedis, platformRedisKeys, type OperationStatus } from '@dualwrite/dual-write';
import { checksumOfRows, type RowKey, type StorePlugin } from '@dualwrite/stores';
import { loadEnvFiles, loadPlatformConfigOrExit, type PlatformConfig } from '@dualwrite/config';
import { budgetsEntity, createExampleStores } from '@dualwrite/example-domain';
import { addressOf, type ServiceAddress } from '../setup/local-services';
import { ensureSupabaseLocal, stopSupabaseLocal } from '../setup/supabase-local-process';
import { readCommandLine } from '../cli/args';
import { DemoApi } from './api-client';
import { demoBackupStep } from './backup-step';
import { DEMO_DATABASES, demoEnvironment, recreateDemoDatabases } from './demo-databases';
import { expectGateRefusal, expectOperatorCommand } from './operator-commands';
import { AppProcesses, isPortInUse, waitFor } from './app-processes';
import { DEMO_USAGE, parseDemoArgs } from './demo-args';
import { sendTraffic, type TrafficReport } from './traffic';

/**
 * `npm run demo`: the guided scenario, on databases of its own that it recreates each run. Starts the api and the
 * worker, checks health, walks the four phases with traffic, takes the local Supabase endpoint away mid-traffic and
 * brings it back (breaker, replay queue), copies the rows from before dual writes (copy-data), makes drift behind
 * the module's back, reconciles, shows the phase gate refusing, repairs, passes the gate, moves on to phase 4, and
 * rolls back through the gate (reverse copy, reconcile, one step at a time); checks both stores row for row, shows
 * a diff summary and a backup proven by a restore drill. Exits 0 when all held.
 */
const root = path.resolve(__dirname, '..', '..', '..');
/** The demo lets a breaker probe again after 3 s instead of 60 s, so the outage heals while you watch. */
const DEMO_ENV = { BREAKER_HALF_OPEN_AFTER_MS: '3000', BREAKER_FAILURE_THRESHOLD: '3' };

const say = (line: string) => process.stdout.write(`[demo] ${line}\n`);

function tokenFor(config: PlatformConfig, role: 'viewer' | 'operator' | 'admin'): string {
  const token = config.adminTokens.find((entry) => entry.role === role) ?? config.adminTokens.find((entry) => entry.role === 'admin');
  if (!token) throw new Error(`ADMIN_TOKENS has no ${role} (or admin) token; the demo needs one.`);
  return token.token;
}

async function showHealth(api: DemoApi): Promise<void> {
  const health = await api.request('GET', '/admin/health');
  const details = ((health.body as { details?: Record<string, Record<string, unknown>> }).details ?? {}) as Record<string, Record<string, unknown>>;
  say(`GET /admin/health → ${health.status}`);
  for (const [component, state] of Object.entries(details)) say(`  ${component.padEnd(8)} ${String(state['status'])}`);
  if (health.status !== 200) throw new Error('the api reports a component down; see above');
}

async function showWorker(config: PlatformConfig): Promise<void> {
  const redis = openRedis(config.redisUrl, 'commands');
  // The key the worker refreshes every 10 s (apps/worker WorkerHeartbeatService).
  const key = platformRedisKeys(config.redisKeyPrefix).workerHeartbeat;
  try {
    const heartbeat = await waitFor('worker heartbeat in Redis', async () => (await redis.get(key).catch(() => null)) ?? undefined, 30_000);
    say(`worker heartbeat: ${heartbeat}`);
  } finally {
    await closeRedis(redis);
  }
}

async function switchPhase(api: DemoApi, enableDualWrite: boolean, enableSupabasePrimary: boolean, reason: string): Promise<void> {
  const changed = await api.expect('PUT', '/admin/flags', 200, { enableDualWrite, enableSupabasePrimary, reason });
  const mode = (changed.body['mode'] ?? {}) as { description?: string; name?: string };
  say(`PUT /admin/flags → ${mode.description ?? mode.name ?? JSON.stringify(changed.body)}`);
  // Every process sees the change through Redis within a second; wait it out so traffic lands in the new mode.
  await new Promise((resolve) => setTimeout(resolve, 1_000));
}

function describeTraffic(report: TrafficReport): string {
  return `${report.opIds.length} writes and ${report.budgetIds.length} budgets read back, mode ${[...report.modes].join('/')}`;
}

async function showBreaker(api: DemoApi, store: string): Promise<string> {
  const breakers = await api.expect('GET', '/admin/breakers', 200);
  const list = (Array.isArray(breakers.body) ? breakers.body : ((breakers.body as { breakers?: unknown[] }).breakers ?? [])) as { store: string; state: string; failures: number }[];
  const breaker = list.find((entry) => entry.store === store);
  say(`  breaker ${store}: ${breaker?.state ?? 'unknown'} (${breaker?.failures ?? 0} failures in the window)`);
  return breaker?.state ?? 'unknown';
}

async function sameRows(storeA: StorePlugin, storeB: StorePlugin, label: string, entity: typeof budgetsEntity, keys: RowKey[]): Promise<void> {
  const [fromA, fromB] = await Promise.all([storeA.findManyByIds(entity, keys), storeB.findManyByIds(entity, keys)]);
  const same = fromA.length === keys.length && checksumOfRows(entity, fromA).checksum === checksumOfRows(entity, fromB).checksum;
  say(`  ${label.padEnd(8)} ${storeA.name}: ${fromA.length}  ${storeB.name}: ${fromB.length}  ${same ? 'identical row for row' : 'DIFFERENT'}`);
  if (!same) throw new Error(`${label}: the stores hold different rows`);
}

async function run(): Promise<void> {
  loadEnvFiles(root);
  // The demo's own databases, endpoint, Redis keys and queues (demo-databases.ts), whatever the machine holds.
  Object.assign(process.env, demoEnvironment(loadPlatformConfigOrExit()));
  const config = loadPlatformConfigOrExit();
  if (!config.supabase?.dbUrl) throw new Error('the demo walks the phases between two stores: set SUPABASE_URL, SUPABASE_SERVICE_ROLE_KEY and SUPABASE_DB_URL');
  if (await isPortInUse(config.apiPort)) {
    throw new Error(`port ${config.apiPort} (API_PORT) is taken; stop what runs there (\`npm start\`?) or set API_PORT`);
  }
  say(`fresh databases for the demo: store A ${DEMO_DATABASES.a} (with the control tables), store B ${DEMO_DATABASES.b}`);
  await recreateDemoDatabases(config, (line) => say(`  ${line}`));
  const endpoint = addressOf(config.supabase.url, 443);
  await ensureSupabaseLocal(endpoint, (line) => say(`  ${line}`));
  const apps = new AppProcesses();
  const { a: storeA, b: storeB } = createExampleStores(config);
  if (!storeB) throw new Error('store B is not configured (SUPABASE_URL, SUPABASE_SERVICE_ROLE_KEY)');
  const control = new Pool({ connectionString: config.controlDatabaseUrl, max: 2 });
  const databaseB = new Pool({ connectionString: config.supabase.dbUrl, max: 1 });
  const ledger = new OperationLedger(control);
  const viewer = new DemoApi(`http://127.0.0.1:${config.apiPort}`, tokenFor(config, 'viewer'));
  const operator = new DemoApi(`http://127.0.0.1:${config.apiPort}`, tokenFor(config, 'operator'));
  try {
    say('starting api and worker');
    const env = { ...process.env, ...DEMO_ENV };
    apps.start('api', 'apps/api/src/main.ts', env);
    apps.start('worker', 'apps/worker/src/main.ts', env);
    await waitFor('api answering /health/live', async () => ((await fetch(`http://127.0.0.1:${config.apiPort}/health/live`)).ok ? true : undefined), 60_000);
    await showHealth(viewer);
    await showWorker(config);

    say('phase 1: store A only');
    await switchPhase(operator, false, false, 'demo: start from phase 1');
    const phase1 = await sendTraffic(operator, 'phase1', 3);
    say(`  ${describeTraffic(phase1)}`);

    say('phase 2: dual write, store A primary, reads shadow-compared');
    await switchPhase(operator, true, false, 'demo: start dual writes');
    const phase2 = await sendTraffic(operator, 'phase2', 3);
    say(`  ${describeTraffic(phase2)}`);
    const outage = await outageAndReplay({ operator, viewer, ledger, endpoint, storeB: storeB.name }, phase2);

    say('initial copy: the rows store A held before dual writes began, into store B, while dual writes run');
    await expectOperatorCommand('copy-data', ['--entity=all'], 0, say);
    say('drift behind the module\'s back: on store B a phase 1 budget edited and another deleted by hand');
    const [edited, deleted] = phase1.budgetIds;
    await databaseB.query("update budgets set name = name || ' (edited on B by hand)' where id = $1", [edited]);
    await databaseB.query('delete from budgets where id = $1', [deleted]);
    say('reconcile finds exactly that (exit 1: a deploy gate)');
    const reconciled = await expectOperatorCommand('reconcile-data', ['--entity=all'], 1, say);
    await expectGateRefusal(operator, { enableSupabasePrimary: true, reason: 'demo: store B takes the lead' }, say);
    await repairFromPrimary(reconciled.output, say);
    await expectOperatorCommand('reconcile-data', ['--entity=all'], 0, say);

    say('phase 3: dual write, store B primary (the gate: copied, reconciled clean since, nothing owed)');
    await switchPhase(operator, true, true, 'demo: store B takes the lead');
    const phase3 = await sendTraffic(operator, 'phase3', 3);
    say(`  ${describeTraffic(phase3)}`);

    say('both stores, row for row, for every row the demo wrote in phases 1-3');
    const budgetIds = [...phase1.budgetIds, ...phase2.budgetIds, ...outage.budgetIds, ...phase3.budgetIds];
    await waitFor('phase 3 writes on both stores', async () => {
      const onA = await storeA.findManyByIds(budgetsEntity, phase3.budgetIds);
      return onA.length === phase3.budgetIds.length ? true : undefined;
    }, 30_000);
    await sameRows(storeA, storeB, 'budgets', budgetsEntity, budgetIds);

    say('phase 4: store B only');
    await switchPhase(operator, false, true, 'demo: migration done');
    const phase4 = await sendTraffic(operator, 'phase4', 2);
    const onA = await storeA.findManyByIds(budgetsEntity, phase4.budgetIds);
    say(`  ${describeTraffic(phase4)}; on store A: ${onA.length}`);

    say('rolling back from store B alone: store A missed phase 4, so the gate asks for the reverse copy first');
    await expectGateRefusal(operator, { enableDualWrite: true, reason: 'demo: roll back' }, say);
    await expectOperatorCommand('copy-data', ['--entity=all', '--from=b'], 0, say);
    await expectOperatorCommand('reconcile-data', ['--entity=all'], 0, say);
    say('then one step at a time: 4 → 3 → 2 → 1 (the demo leaves the flags as it found them)');
    await switchPhase(operator, true, true, 'demo: roll back to phase 3');
    await switchPhase(operator, true, false, 'demo: roll back to phase 2');
    await switchPhase(operator, false, false, 'demo: roll back to phase 1');
    await sameRows(storeA, storeB, 'budgets', budgetsEntity, [...budgetIds, ...phase4.budgetIds]);

    const stats = await new DiffRepository(control).stats(1);
    say('diff summary (last 24 h):');
    if (stats.length === 0) say('  no differences recorded');
    for (const row of stats) say(`  ${row.apiEndpoint.padEnd(28)} ${row.severity.padEnd(8)} ${row.count} (${row.unresolved} unresolved)`);

    await demoBackupStep({ operator, admin: new DemoApi(`http://127.0.0.1:${config.apiPort}`, tokenFor(config, 'admin')) }, say);
    say(`done (the demo's databases ${DEMO_DATABASES.a} and ${DEMO_DATABASES.b} stay for a look; the next demo recreates them)`);
  } finally {
    await apps.stopAll();
    await Promise.allSettled([storeA.close(), storeB.close(), control.end(), databaseB.end()]);
    await stopSupabaseLocal(endpoint).catch(() => false);
  }
}

/** The writes' statuses once none is still on its way to store B (its sync runs after the caller's answer). */
async function settledInLedger(ledger: OperationLedger, opIds: string[], what: string): Promise<(OperationStatus | undefined)[]> {
  return waitFor(
    `${what} settled in the ledger`,
    async () => {
      const statuses = await Promise.all(opIds.map(async (opId) => (await ledger.get(opId))?.status));
      return statuses.some((status) => status === 'pending' || status === 'primary_done') ? undefined : statuses;
    },
    30_000,
  );
}

/** Phase 2's outage: the local endpoint stopped mid-traffic, writes owed and queued, then replayed once it is back. */
async function outageAndReplay(
  parts: { operator: DemoApi; viewer: DemoApi; ledger: OperationLedger; endpoint: ServiceAddress; storeB: string },
  phase2: TrafficReport,
): Promise<TrafficReport> {
  const { operator, viewer, ledger, endpoint } = parts;
  say('  the local Supabase endpoint goes away mid-traffic');
  if (!(await stopSupabaseLocal(endpoint))) throw new Error(`the demo's Supabase endpoint on ${endpoint.host}:${endpoint.port} has no live pid file; it cannot take it away`);
  const outage = await sendTraffic(operator, 'outage', 4);
  say(`  ${describeTraffic(outage)}: users were served by store A throughout`);
  // The caller is answered with store A's row; each store-B sync settles in the ledger just after.
  const settled = await settledInLedger(ledger, outage.opIds, 'the outage writes');
  const owedByOutage = settled.filter((status) => status === 'secondary_pending').length;
  if (owedByOutage === 0) throw new Error(`no write was queued for store B while it was down (ledger: ${settled.join(', ')})`);
  if ((await showBreaker(viewer, parts.storeB)) !== 'open') throw new Error('the store B breaker did not open');
  const owed = (await ledger.countOpen()).get('secondary_pending') ?? 0;
  say(`  ledger: ${owedByOutage} of the outage's ${outage.opIds.length} writes owed by store B and queued for replay (${owed} owed in all)`);

  say('  the endpoint comes back; the worker replays what store B missed');
  await ensureSupabaseLocal(endpoint, (line) => say(`  ${line}`));
  const allOps = [...phase2.opIds, ...outage.opIds];
  await waitFor(
    'replay queue drained',
    async () => {
      const statuses = await Promise.all(allOps.map(async (opId) => (await ledger.get(opId))?.status));
      return statuses.every((status) => status === undefined || status === 'applied') ? true : undefined;
    },
    90_000,
  );
  say(`  drained: all ${allOps.length} operations applied on both stores`);
  // An open breaker lets a probe through on the first call after BREAKER_HALF_OPEN_AFTER_MS (3 s here).
  await new Promise((resolve) => setTimeout(resolve, Number(DEMO_ENV.BREAKER_HALF_OPEN_AFTER_MS) + 500));
  const recovered = await sendTraffic(operator, 'recovered', 2);
  say(`  ${describeTraffic(recovered)}`);
  // Their syncs to store B (after the answers, once the sync's gathering window is over) are the probe.
  await settledInLedger(ledger, recovered.opIds, 'the writes after the outage');
  if ((await showBreaker(viewer, parts.storeB)) !== 'closed') throw new Error('the store B breaker did not close after the probe');
  return { budgetIds: [...outage.budgetIds, ...recovered.budgetIds], opIds: [...outage.opIds, ...recovered.opIds], modes: new Set([...outage.modes, ...recovered.modes]) };
}

/** The reconcile's findings repaired from the primary through the write protocol's key sync (compensate-data). */
async function repairFromPrimary(reconcileOutput: string, log: (line: string) => void): Promise<void> {
  const runId = /run ([0-9a-f-]{36}):/.exec(reconcileOutput)?.[1];
  if (!runId) throw new Error('reconcile-data did not name its run');
  log('repair from the primary: what that reconcile found, through the protocol\'s key sync (a dry run first)');
  await expectOperatorCommand('compensate-data', [`--run=${runId}`], 0, log);
  await expectOperatorCommand('compensate-data', [`--run=${runId}`, '--apply'], 0, log);
}

async function main(): Promise<void> {
  if (readCommandLine(parseDemoArgs, DEMO_USAGE)) await run();
}

main().catch((error: unknown) => {
  process.stderr.write(`[demo] failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
