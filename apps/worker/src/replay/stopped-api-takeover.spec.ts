import type { INestApplicationContext } from '@nestjs/common';
import { FlagRepository, FlagService, FlagSwitcher, FlipRefusedError, OperationLedger, ProcessRegistry } from '@dualwrite/dual-write';
import { PrismaStore, SupabaseStore, type Row } from '@dualwrite/stores';
import { freePort, prepareControlDatabase, startEntryProcess, type EntryProcess } from '@dualwrite/testing';
import { budgetsEntity, createPrismaClient, usersEntity } from '@dualwrite/example-domain';
import { Client, Pool } from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { eventually, queueEnvironment, removeTestQueues, startWorkerApp, testPlatformConfig, testQueueNames } from '../testing/worker-test-app';
import { LedgerSweepService } from './ledger-sweep.service';

const primaryUrl = process.env['PRIMARY_DATABASE_URL'] as string;
const supabaseSettings = {
  url: process.env['SUPABASE_URL'] as string,
  serviceRoleKey: process.env['SUPABASE_SERVICE_ROLE_KEY'] as string,
  databaseUrl: process.env['SUPABASE_DB_URL'] as string,
};
/** The worker's grace for a process that stopped reporting (DW_STOPPED_PROCESS_GRACE_MS), short for the test. */
const GRACE_MS = 8_000;
const WRITES = 20;
const PHASE_2 = { enableDualWrite: true, enableSupabasePrimary: false };
const PHASE_3 = { enableDualWrite: true, enableSupabasePrimary: true };

/**
 * An api process SIGKILLed while its writes are acknowledged and their syncs to store B are on their way (held by a
 * row lock on store B). The worker's sweep takes its operations over once it has not reported for the grace, not
 * before, and their replays leave both stores equal with every operation applied: seconds, not the 10 minutes the
 * sweep gives an operation whose process it cannot tell has stopped. Meanwhile a flip of the primary is refused,
 * naming them; once they are replayed it goes through.
 */
describe('an api process killed with acknowledged writes still syncing', () => {
  const queues = testQueueNames('stopped-api');
  const prisma = new PrismaStore(createPrismaClient(primaryUrl), { ownsClient: true });
  const supabase = new SupabaseStore(supabaseSettings);
  const storeBLocker = new Client({ connectionString: supabaseSettings.databaseUrl });
  const ownerId = uuidv7();
  const budgetIds: string[] = [];
  let controlDatabaseUrl = '';
  let pool: Pool;
  let ledger: OperationLedger;
  let worker: INestApplicationContext;
  let api: EntryProcess | undefined;

  beforeAll(async () => {
    controlDatabaseUrl = await prepareControlDatabase('dw_control_worker_stopped_api');
    pool = new Pool({ connectionString: controlDatabaseUrl, max: 2 });
    ledger = new OperationLedger(pool);
    const owner = await prisma.insert(usersEntity, { id: ownerId, email: `${ownerId}@stopped-api.test`, displayName: 'Stopped api' });
    await supabase.insert(usersEntity, owner);
    await storeBLocker.connect();
  });

  beforeEach(async () => {
    // This suite's own control database: nothing left by an earlier test (a killed api stays registered) is swept here.
    await pool.query('truncate dual_write_ops');
    await pool.query('delete from dual_write_processes');
    await new FlagRepository(pool).change({ next: PHASE_2, changedBy: 'stopped-api-takeover.spec', source: 'cli', reason: 'phase 2: store A primary, store B synced' });
    // The worker runs before the api stops, as it would in production; its own 30-s sweep does not come round in a test.
    worker = await startWorkerApp({
      controlDatabaseUrl,
      settings: queues,
      env: { STORE_CALL_TIMEOUT_MS: '1000', DW_STOPPED_PROCESS_GRACE_MS: String(GRACE_MS) },
    });
  }, 30_000);

  afterEach(async () => {
    api?.kill('SIGKILL');
    await storeBLocker.query('rollback').catch(() => undefined);
    await worker?.close();
  });

  afterAll(async () => {
    await storeBLocker.end();
    await removeTestQueues(queues);
    for (const store of [prisma, supabase]) {
      for (const id of budgetIds) await store.delete(budgetsEntity, id).catch(() => undefined);
      await store.delete(usersEntity, ownerId).catch(() => undefined);
    }
    await Promise.all([prisma.close(), supabase.close(), pool.end()]);
  });

  /** Starts an api process on the suite's control database and queues; returns it and its URL once it answers. */
  async function startApi(): Promise<{ process: EntryProcess; apiUrl: string }> {
    const port = await freePort();
    const started = startEntryProcess('apps/api/src/main.ts', {
      ...queueEnvironment(queues),
      API_PORT: String(port),
      CONTROL_DATABASE_URL: controlDatabaseUrl,
      SECONDARY_TIMEOUT_MS: '0',
      STORE_CALL_TIMEOUT_MS: '1000',
      LOG_LEVEL: 'error',
    });
    api = started;
    const apiUrl = `http://127.0.0.1:${port}`;
    await eventually(() => fetch(`${apiUrl}/health/live`).then((response) => (response.ok ? true : undefined), () => undefined), 30_000);
    return { process: started, apiUrl };
  }

  /**
   * Starts an api, has it acknowledge WRITES creates whose syncs to store B wait on the owner's row there, SIGKILLs
   * it, then lets the held syncs land (within the grace, as a stopped process's calls do). Returns the writes'
   * opIds and budget ids, and when the api was killed.
   */
  async function killApiMidSync(): Promise<{ opIds: string[]; ids: string[]; killedAt: number }> {
    const { process: killed, apiUrl } = await startApi();
    const ids = Array.from({ length: WRITES }, () => uuidv7());
    budgetIds.push(...ids);
    await storeBLocker.query('begin');
    await storeBLocker.query('select id from users where id = $1 for update', [ownerId]);
    const answers = await Promise.all(
      ids.map((id, index) =>
        fetch(`${apiUrl}/api/budgets`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ id, ownerId, name: `Killed mid-sync ${index}`, amount: `${100 + index}.00`, currency: 'EUR' }),
        }).then((response) => response.status),
      ),
    );
    expect(answers).toEqual(ids.map(() => 201));
    const { rows: apiProcesses } = await pool.query<{ process_id: string }>(`select process_id from dual_write_processes where kind = 'api'`);
    expect(apiProcesses).toHaveLength(1);
    const opIds = (await pool.query<{ op_id: string }>(`select op_id from dual_write_ops where entity = 'budgets' and entity_ids && $1`, [ids])).rows.map((row) => row.op_id);
    expect(opIds).toHaveLength(WRITES);
    for (const opId of opIds) await expect(ledger.get(opId)).resolves.toMatchObject({ status: 'primary_done', claimedBy: apiProcesses[0]?.process_id });

    killed.kill('SIGKILL');
    await killed.finished;
    const killedAt = Date.now();
    await storeBLocker.query('rollback');
    return { opIds, ids, killedAt };
  }

  async function countWithStatus(opIds: string[], status: string): Promise<number> {
    const { rows } = await pool.query<{ n: number }>(`select count(*)::int as n from dual_write_ops where op_id = any($1) and status = $2`, [opIds, status]);
    return rows[0]?.n ?? 0;
  }

  /** Sweeps every 250 ms until none of the writes is left `primary_done`, then waits for their replays. */
  async function sweepUntilReplayed(opIds: string[]): Promise<void> {
    const sweep = worker.get(LedgerSweepService);
    await eventually(async () => {
      await sweep.sweep();
      return (await countWithStatus(opIds, 'primary_done')) === 0 ? true : undefined;
    }, GRACE_MS + 10_000, 250);
    await eventually(async () => ((await countWithStatus(opIds, 'applied')) === WRITES ? true : undefined), 20_000);
  }

  it('is taken over once it has not reported for the grace; the replays leave both stores equal, every write applied', async () => {
    const { opIds, ids, killedAt } = await killApiMidSync();

    await expect(worker.get(LedgerSweepService).sweep()).resolves.toBe(0);
    expect(await countWithStatus(opIds, 'primary_done')).toBe(WRITES);
    await sweepUntilReplayed(opIds);

    expect(Date.now() - killedAt).toBeGreaterThanOrEqual(GRACE_MS - 1_000);
    const onA = byId(await prisma.findManyByIds(budgetsEntity, ids));
    const onB = byId(await supabase.findManyByIds(budgetsEntity, ids));
    expect(onA).toHaveLength(WRITES);
    expect(onB).toEqual(onA);
  }, 60_000);

  it('a flip of the primary right after is refused, naming the writes it left; once they are replayed the flip goes through', async () => {
    const { opIds } = await killApiMidSync();
    const switcher = new FlagSwitcher({ flags: worker.get(FlagService), ledger, registry: new ProcessRegistry(pool), settleTimeoutMs: 1_000 });
    const flip = () => switcher.change({ next: PHASE_3, changedBy: 'stopped-api-takeover.spec', source: 'cli', reason: 'flip after a crash' });

    const refused = await flip().catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(FlipRefusedError);
    expect((refused as Error).message).toMatch(new RegExp(`${WRITES} write\\(s\\) claimed under an older version did not settle \\(.*primary_done`));

    await sweepUntilReplayed(opIds);
    await expect(flip()).resolves.toMatchObject({ fenced: true, after: { enableSupabasePrimary: true, fenced: false } });
  }, 60_000);

  it('killed while its flip fences writes: the fence is lifted back to the old flags once it has stopped reporting', async () => {
    const { process: killed, apiUrl } = await startApi();
    const repository = new FlagRepository(pool);
    // A write claimed under the current version and never settled holds the flip's barrier open.
    await ledger.claim({ opId: uuidv7(), entity: 'budgets', operation: 'update', entityIds: [uuidv7()], payload: {}, primaryStore: 'prisma', secondaryStore: 'supabase', flagVersion: (await repository.read()).version });
    const flip = fetch(`${apiUrl}/admin/flags`, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${operatorToken(controlDatabaseUrl)}` },
      body: JSON.stringify({ ...PHASE_3, reason: 'flip, then the api is killed', force: true }),
    }).catch(() => undefined);
    const fence = await eventually(async () => {
      const flags = await repository.read();
      return flags.fenced ? flags : undefined;
    }, 10_000);
    const { rows: apiProcesses } = await pool.query<{ process_id: string }>(`select process_id from dual_write_processes where kind = 'api'`);
    expect(fence).toMatchObject({ enableSupabasePrimary: true, fencedBy: apiProcesses[0]?.process_id });

    killed.kill('SIGKILL');
    await killed.finished;
    await flip;
    const killedAt = Date.now();
    const sweep = worker.get(LedgerSweepService);
    await sweep.sweep();
    expect(await repository.read()).toMatchObject({ fenced: true });
    const lifted = await eventually(async () => {
      await sweep.sweep();
      const flags = await repository.read();
      return flags.fenced ? undefined : flags;
    }, 15_000, 250);

    expect(Date.now() - killedAt).toBeLessThan(15_000);
    expect(lifted).toMatchObject({ ...PHASE_2, fenced: false, fencedBy: null, reason: expect.stringContaining(`process ${apiProcesses[0]?.process_id} fenced writes`) });
  }, 60_000);
});

/** The operator's bearer token, as the platform configuration reads ADMIN_TOKENS. */
function operatorToken(controlDatabaseUrl: string): string {
  const entry = testPlatformConfig(controlDatabaseUrl).adminTokens.find((token) => token.role === 'operator');
  if (!entry) throw new Error('ADMIN_TOKENS has no operator token; the test needs one.');
  return entry.token;
}

function byId(rows: Row[]): Row[] {
  return [...rows].sort((left, right) => String(left['id']).localeCompare(String(right['id'])));
}
