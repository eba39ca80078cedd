import Redis from 'ioredis';
import { Pool } from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { DiffRepository } from '../diffs/diff-repository';
import type { DualWriteFlags } from '../flags/dual-write-mode';
import { FlagRepository } from '../flags/flag-repository';
import type { ObservedStoreOutcome } from '../ledger/operation-ledger';
import { prepareControlDatabase } from '@dualwrite/testing';
import { AlertSnapshotReader } from './alert-snapshot-reader';
import { BreakerStateBoard } from './breaker-state-board';

const redisUrl = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const PHASE_1: DualWriteFlags = { enableDualWrite: false, enableSupabasePrimary: false };
const PHASE_2: DualWriteFlags = { enableDualWrite: true, enableSupabasePrimary: false };

interface ObservedOp {
  mode: string;
  primary: ObservedStoreOutcome;
  secondary: ObservedStoreOutcome | null;
  pathLatencyMs: number;
  operation?: 'create' | 'update';
  /** Written this many seconds ago (database clock); default now. */
  agoSeconds?: number;
}

describe('AlertSnapshotReader over the control tables and the breaker board', () => {
  let pool: Pool;
  let flags: FlagRepository;
  let redis: Redis;
  const boardKey = `dw-test:breakers:${uuidv7()}`;

  beforeAll(async () => {
    pool = new Pool({ connectionString: await prepareControlDatabase('dw_control_alert_snapshot'), max: 4 });
    flags = new FlagRepository(pool);
    redis = new Redis(redisUrl);
  });

  beforeEach(async () => {
    await pool.query('truncate dual_write_ops, dual_write_diffs, dual_write_flag_history');
    await redis.del(boardKey);
  });

  afterAll(async () => {
    await redis.del(boardKey);
    await redis.quit();
    await pool.end();
  });

  async function setFlags(next: DualWriteFlags): Promise<void> {
    await flags.change({ next, changedBy: 'alert snapshot spec', source: 'cli', reason: 'scenario' });
  }

  async function insertOps(ops: ObservedOp[]): Promise<void> {
    for (const op of ops) {
      await pool.query(
        `insert into dual_write_ops (op_id, entity, operation, payload, primary_store, secondary_store, status, mode,
                                     primary_outcome, secondary_outcome, primary_latency_ms, secondary_latency_ms, path_latency_ms, created_at)
         values ($1, 'budgets', $8, '{}', 'prisma', $2, 'applied', $3, $4, $5, $6, $6, $6, now() - $7 * interval '1 second')`,
        [uuidv7(), op.secondary ? 'supabase' : null, op.mode, op.primary, op.secondary, op.pathLatencyMs, op.agoSeconds ?? 0, op.operation ?? 'create'],
      );
    }
  }

  function times<T>(count: number, make: (index: number) => T): T[] {
    return Array.from({ length: count }, (_, index) => make(index));
  }

  it('counts the dual writes of the current mode since it began: secondary errors and writes where exactly one store failed', async () => {
    await setFlags(PHASE_1);
    await insertOps(times(5, () => ({ mode: 'primary-only', primary: 'ok', secondary: null, pathLatencyMs: 10 })));
    await setFlags(PHASE_2);
    await insertOps([
      ...times(6, () => ({ mode: 'dual-primary-a', primary: 'ok' as const, secondary: 'ok' as const, pathLatencyMs: 12 })),
      { mode: 'dual-primary-a', primary: 'ok', secondary: 'failed', pathLatencyMs: 12 },
      { mode: 'dual-primary-a', primary: 'ok', secondary: 'timeout', pathLatencyMs: 12 },
      { mode: 'dual-primary-a', primary: 'ok', secondary: 'skipped', pathLatencyMs: 12 },
      { mode: 'dual-primary-a', primary: 'failed', secondary: 'compensated', pathLatencyMs: 12 },
      { mode: 'dual-primary-a', primary: 'failed', secondary: 'failed', pathLatencyMs: 12 },
    ]);

    const snapshot = await new AlertSnapshotReader(pool, null).read();

    expect(snapshot.mode.name).toBe('dual-primary-a');
    expect(snapshot.lastModeChange?.from.name).toBe('primary-only');
    expect(snapshot.lastAdvance?.from.name).toBe('primary-only');
    expect(snapshot.recentDualWrites).toMatchObject({ total: 11, secondaryErrors: 4, partialFailures: 4 });
  });

  it('leaves out dual writes older than the window', async () => {
    await setFlags(PHASE_1);
    await setFlags(PHASE_2);
    await pool.query(`update dual_write_flag_history set changed_at = now() - interval '1 hour'`);
    await insertOps([
      { mode: 'dual-primary-a', primary: 'ok', secondary: 'failed', pathLatencyMs: 12, agoSeconds: 600 },
      { mode: 'dual-primary-a', primary: 'ok', secondary: 'failed', pathLatencyMs: 12, agoSeconds: 60 },
      { mode: 'dual-primary-a', primary: 'ok', secondary: 'ok', pathLatencyMs: 12, agoSeconds: 60 },
    ]);

    const snapshot = await new AlertSnapshotReader(pool, null, { windowMs: 300_000 }).read();

    expect(snapshot.recentDualWrites).toMatchObject({ total: 2, secondaryErrors: 1, partialFailures: 1 });
  });

  it('compares the p95 of successful writes in this phase with the latest ones of the previous phase', async () => {
    await setFlags(PHASE_1);
    await insertOps(times(20, (index) => ({ mode: 'primary-only', primary: 'ok', secondary: null, pathLatencyMs: index + 1 })));
    await insertOps([{ mode: 'primary-only', primary: 'failed', secondary: null, pathLatencyMs: 5_000 }]);
    // created_at is kept to the millisecond (rounded): let the clock pass it, so no phase-1 write can round
    // up to the instant of the change and count as written after it.
    await new Promise((resolve) => setTimeout(resolve, 5));
    await setFlags(PHASE_2);
    await insertOps(times(20, (index) => ({ mode: 'dual-primary-a', primary: 'ok', secondary: 'ok', pathLatencyMs: 2 * (index + 1) })));

    const { latency } = await new AlertSnapshotReader(pool, null).read();

    // percentile_cont(0.95) over 1..20 is 19.05; over 2..40, 38.1.
    expect(latency.previous).toMatchObject({ mode: 'primary-only', p95Ms: 19, samples: 20, groups: [{ entity: 'budgets', operation: 'create', p95Ms: 19, samples: 20 }] });
    expect(latency.current).toMatchObject({ mode: 'dual-primary-a', p95Ms: 38, samples: 20, groups: [{ entity: 'budgets', operation: 'create', p95Ms: 38, samples: 20 }] });
  });

  it('splits the latency by kind of write, each with how long its writes span', async () => {
    await setFlags(PHASE_1);
    await new Promise((resolve) => setTimeout(resolve, 5));
    await setFlags(PHASE_2);
    // The writes below are dated up to 0.9 s back: let that much time pass since the change, so all count.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await insertOps([
      { mode: 'dual-primary-a', primary: 'ok', secondary: 'ok', pathLatencyMs: 10, agoSeconds: 0.9 },
      { mode: 'dual-primary-a', primary: 'ok', secondary: 'ok', pathLatencyMs: 30, agoSeconds: 0.1 },
      { mode: 'dual-primary-a', primary: 'ok', secondary: 'ok', pathLatencyMs: 500, operation: 'update' },
    ]);

    const { latency } = await new AlertSnapshotReader(pool, null).read();

    expect(latency.current.samples).toBe(3);
    expect(latency.current.groups).toEqual([
      { entity: 'budgets', operation: 'create', p95Ms: 29, samples: 2, spanMs: expect.any(Number) },
      { entity: 'budgets', operation: 'update', p95Ms: 500, samples: 1, spanMs: 0 },
    ]);
    // 0.8 s apart by their dates, plus the moment between the two inserts.
    expect(latency.current.groups[0]?.spanMs).toBeGreaterThanOrEqual(800);
    expect(latency.current.groups[0]?.spanMs).toBeLessThan(1_000);
  });

  it('counts error diffs not yet resolved', async () => {
    const diff = (severity: 'info' | 'warning' | 'error') => ({
      diffId: uuidv7(),
      apiEndpoint: 'POST /budgets',
      entity: 'budgets',
      entityId: uuidv7(),
      operation: 'create',
      severity,
      differences: [],
      primaryStore: 'prisma',
      secondaryStore: 'supabase',
      primaryLatencyMs: 1,
      secondaryLatencyMs: 1,
      seenAt: new Date().toISOString(),
    });
    const resolved = diff('error');
    await new DiffRepository(pool).insertBatch([diff('error'), diff('error'), diff('error'), resolved, diff('warning'), diff('info')]);
    await pool.query('update dual_write_diffs set resolved_at = now() where diff_id = $1', [resolved.diffId]);

    const snapshot = await new AlertSnapshotReader(pool, null).read();

    expect(snapshot.unresolvedErrorDiffs).toBe(3);
  });

  it('reads the breakers every live process published and drops entries of processes that stopped reporting', async () => {
    const board = new BreakerStateBoard(redis, boardKey, 120_000);
    const now = new Date();
    const downSince = new Date(now.getTime() - 400_000);
    await board.publish([
      { store: 'supabase', state: 'open', since: now, downSince, process: 'api-1', reportedAt: now },
      { store: 'prisma', state: 'closed', since: downSince, downSince: null, process: 'api-1', reportedAt: now },
      { store: 'supabase', state: 'open', since: downSince, downSince, process: 'api-dead', reportedAt: new Date(now.getTime() - 180_000) },
    ]);
    await setFlags(PHASE_2);

    const snapshot = await new AlertSnapshotReader(pool, board).read();

    expect(snapshot.breakers.map((entry) => [entry.store, entry.process, entry.state, entry.downSince?.getTime() ?? null])).toEqual([
      ['prisma', 'api-1', 'closed', null],
      ['supabase', 'api-1', 'open', downSince.getTime()],
    ]);
    expect(await redis.hkeys(boardKey)).not.toContain('supabase@api-dead');
  });
});
