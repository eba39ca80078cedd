import { randomBytes, randomUUID } from 'node:crypto';
import { exampleEntities } from '@dualwrite/example-domain';
import { EntityRegistry } from '@dualwrite/stores';
import { eventually, exampleTestDomain } from '@dualwrite/testing';
import { writeLatencyProbe } from '../copy/testing/latency-probe';
import { ScratchStores } from '../copy/testing/scratch-stores';
import { emptyExampleTables, seedExampleRows } from '../copy/testing/seed';
import { InvalidRunRequestError } from './run-errors';
import { RunCoordinator } from './run-coordinator';
import { RunPace, type RunSpeedChange } from './run-pace';
import type { RunProgress } from './run.types';
import { RunsScratch } from './testing/run-fixtures';

const SEEDED = { users: 20, budgets: 200, posts: 40, comments: 40 };
const ROWS = 300;
const RATE = 60;

class RateStores extends ScratchStores {
  override readonly suffix = randomBytes(4).toString('hex');
  override readonly names = { a: `dw_h5_rate_${this.suffix}_a`, b: `dw_h5_rate_${this.suffix}_b`, control: `dw_h5_rate_${this.suffix}_control` };
}

describe('distributed copy with a rate: the whole run at or under it whatever the number of workers (real PostgreSQL, supabase-local, Redis, BullMQ)', () => {
  const stores = new RateStores(exampleTestDomain);
  let scratch: RunsScratch;
  let coordinator: RunCoordinator;
  const registry = new EntityRegistry(exampleEntities);
  const workerEnv = () => ({ RUNS_TEST_DOMAIN: 'example', RUNS_TEST_SUPABASE_URL: stores.supabaseUrl });

  beforeAll(async () => {
    await stores.start();
    await seedExampleRows(stores.poolA, SEEDED);
    scratch = new RunsScratch('rate', exampleTestDomain, stores.names, 'h5');
    await scratch.create(true);
    coordinator = new RunCoordinator({ entities: exampleEntities, control: scratch.control, queue: scratch.queue, primarySide: async () => 'a' });
  }, 120_000);

  afterEach(async () => {
    await scratch.stopWorkers();
  });

  afterAll(async () => {
    await coordinator?.close();
    await scratch?.drop(false);
    await stores.stop();
  });

  async function finished(runId: string): Promise<RunProgress> {
    return eventually(async () => {
      const progress = await coordinator.progress(runId);
      return progress && progress.status !== 'running' ? progress : undefined;
    }, 120_000);
  }

  /** Store B equals store A, entity by entity. */
  async function expectBEqualsA(): Promise<void> {
    for (const [name, rows] of Object.entries(SEEDED)) {
      const entity = registry.get(name);
      const [a, b] = await Promise.all([stores.prisma.checksum(entity), stores.supabase.checksum(entity)]);
      expect({ name, ...b }).toEqual({ name, ...a });
      expect(a.count).toBe(rows);
    }
  }

  /** By each chunk's end, the rows of the chunks ended so far are at most rate × the time since the run began. */
  async function expectPaced(runId: string): Promise<number> {
    const { rows } = await scratch.control.query<{ rows_planned: number; since_start_s: number; worker: string }>(
      `select s.rows_planned::int, extract(epoch from s.finished_at - r.started_at)::float8 as since_start_s, s.worker
         from distributed_run_segments s join distributed_runs r using (run_id) where s.run_id = $1 order by s.finished_at`,
      [runId],
    );
    let copied = 0;
    for (const row of rows) {
      copied += row.rows_planned;
      expect(copied).toBeLessThanOrEqual(RATE * row.since_start_s);
    }
    expect(copied).toBe(ROWS);
    return new Set(rows.map((row) => row.worker)).size;
  }

  it.each([1, 2])('%i worker process(es) at 60 rows/s: 300 rows take at least 5 s, never ahead of the rate; store B equals store A', async (workers) => {
    await emptyExampleTables(stores.poolB);
    for (let index = 0; index < workers; index += 1) await scratch.startWorker(workerEnv());
    const { runId } = await coordinator.start({ kind: 'copy', selection: 'all', from: 'a', options: { segmentRows: 50, rate: RATE }, requestedBy: 'spec' });

    const progress = await finished(runId);

    expect(progress).toMatchObject({ status: 'completed', segments: { done: 7, failed: 0, total: 7 }, keysLeft: 0, rows: { covered: ROWS, planned: ROWS } });
    expect(progress.elapsedMs).toBeGreaterThanOrEqual((ROWS / RATE) * 1000);
    expect(await expectPaced(runId)).toBeLessThanOrEqual(workers);
    await expectBEqualsA();
  }, 180_000);

  it('refuses a rate that is not a positive whole number, naming it; nothing recorded', async () => {
    const before = await scratch.control.query<{ n: number }>('select count(*)::int as n from distributed_runs');
    for (const rate of [0, -5, 2.5]) {
      const start = coordinator.start({ kind: 'copy', selection: ['users'], options: { rate }, requestedBy: 'spec' });
      await expect(start).rejects.toThrow(InvalidRunRequestError);
      await expect(coordinator.start({ kind: 'copy', selection: ['users'], options: { rate }, requestedBy: 'spec' })).rejects.toThrow(`rate must be a whole number of at least 1, got ${rate}`);
    }
    const after = await scratch.control.query<{ n: number }>('select count(*)::int as n from distributed_runs');
    expect(after.rows[0]?.n).toBe(before.rows[0]?.n);
  });

  it("backs off while the primary's write p95 is up (the ledger's path latencies, as copy-data): a chunk's slot is twice as long", async () => {
    const runId = randomUUID();
    await scratch.control.query(
      `insert into distributed_runs (run_id, kind, selection, status, requested_by, primary_side, options, ledger_started_at, started_at)
       values ($1, 'copy', '{users}', 'running', 'spec', 'a', '{"rate": 100}', now() - interval '1 minute', now() - interval '1 minute')`,
      [runId],
    );
    // A primary store name of this test's own, so the other tests' copies see none of these writes.
    const probe = (latencyMs: number, age: string) => writeLatencyProbe(scratch.control, { latencyMs, age, writes: 200, primaryStore: 'probe_primary' });
    await probe(2, '2 minutes'); // before the run: p95 2 ms
    await probe(40, '0 seconds'); // since: p95 40 ms
    const waits: number[] = [];
    const changes: RunSpeedChange[] = [];
    const pace = new RunPace(scratch.control, {}, async (ms) => void waits.push(ms), (_run, change) => void changes.push(change));
    const run = { runId, startedAt: new Date(Date.now() - 60_000), rate: 100 };

    await pace.beforeChunk(run, 'probe_primary', 100);
    await pace.beforeChunk(run, 'probe_primary', 100);

    expect(changes).toEqual([{ factor: 0.5, recentP95Ms: 40, baselineP95Ms: 2 }]);
    // 100 rows at 100 rows/s × 0.5: 2 s each, the second slot after the first (the fake sleep did not wait it off).
    expect(waits[0]).toBeGreaterThan(1800);
    expect(waits[0]).toBeLessThanOrEqual(2000);
    expect(waits[1]).toBeGreaterThan(3800);
    expect(waits[1]).toBeLessThanOrEqual(4000);
  });
});
