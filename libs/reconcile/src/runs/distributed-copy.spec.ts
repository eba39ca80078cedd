import { randomBytes } from 'node:crypto';
import { exampleEntities } from '@dualwrite/example-domain';
import { EntityRegistry } from '@dualwrite/stores';
import { eventually, exampleTestDomain, type EntryProcess } from '@dualwrite/testing';
import { ScratchStores } from '../copy/testing/scratch-stores';
import { emptyExampleTables, seedExampleRows } from '../copy/testing/seed';
import { RunAlreadyRunningError } from './run-errors';
import { RunCoordinator } from './run-coordinator';
import type { RunProgress } from './run.types';
import { RunsScratch } from './testing/run-fixtures';

const SEEDED = { users: 30, budgets: 1500, posts: 100, comments: 200 };

/** ScratchStores (store A, store B behind a supabase-local of its own, a control database) under this suite's names. */
class RunsCopyStores extends ScratchStores {
  override readonly suffix = randomBytes(4).toString('hex');
  override readonly names = { a: `dw_h3_copy_${this.suffix}_a`, b: `dw_h3_copy_${this.suffix}_b`, control: `dw_h3_copy_${this.suffix}_control` };
}

describe('distributed copy: chunk jobs run by worker processes (real PostgreSQL, supabase-local, Redis, BullMQ)', () => {
  const stores = new RunsCopyStores(exampleTestDomain);
  let scratch: RunsScratch;
  let coordinator: RunCoordinator;
  const registry = new EntityRegistry(exampleEntities);

  async function finished(runId: string): Promise<RunProgress> {
    return eventually(async () => {
      const progress = await coordinator.progress(runId);
      return progress && progress.status !== 'running' ? progress : undefined;
    }, 120_000);
  }

  /** Waits until 3 chunks of budgets are done, then SIGKILLs `doomed`; the progress as it was then. */
  async function killAfterThreeBudgetChunks(runId: string, doomed: EntryProcess): Promise<RunProgress> {
    const early = await eventually(async () => {
      const progress = await coordinator.progress(runId);
      const budgets = progress?.entities.find((entity) => entity.entity === 'budgets');
      return progress && budgets && budgets.segmentsDone >= 3 ? progress : undefined;
    }, 90_000);
    doomed.kill('SIGKILL');
    await doomed.finished;
    return early;
  }

  beforeAll(async () => {
    await stores.start();
    await seedExampleRows(stores.poolA, SEEDED);
    scratch = new RunsScratch('copy', exampleTestDomain, stores.names);
    await scratch.create(true);
    coordinator = new RunCoordinator({ entities: exampleEntities, control: scratch.control, queue: scratch.queue, primarySide: async () => 'a' });
  }, 120_000);

  afterAll(async () => {
    await coordinator?.close();
    await scratch?.drop(false);
    await stores.stop();
  });

  it('a worker SIGKILLed mid-copy: another finishes it; store B equals store A, every chunk counted once; a second copy is refused meanwhile', async () => {
    const workerEnv = { RUNS_TEST_DOMAIN: 'example', RUNS_TEST_SUPABASE_URL: stores.supabaseUrl };
    const doomed = await scratch.startWorker({ ...workerEnv, RUNS_TEST_DELAY_MS: '150', RUNS_TEST_CONCURRENCY: '1' });
    const { runId } = await coordinator.start({ kind: 'copy', selection: 'all', from: 'a', options: { segmentRows: 100 }, requestedBy: 'spec' });

    await expect(coordinator.start({ kind: 'copy', selection: ['budgets'], requestedBy: 'spec' })).rejects.toThrow(RunAlreadyRunningError);
    await expect(coordinator.start({ kind: 'copy', selection: ['budgets'], requestedBy: 'spec' })).rejects.toThrow(`a copy of budgets is already running: run ${runId}`);
    const early = await killAfterThreeBudgetChunks(runId, doomed);
    expect(early.status).toBe('running');
    expect(early.entities.map((entity) => entity.entity)).toEqual(['users', 'budgets', 'posts', 'comments']);
    expect(early.entities.find((entity) => entity.entity === 'users')?.status).toBe('completed');

    await scratch.startWorker(workerEnv);
    const progress = await finished(runId);

    expect(progress).toMatchObject({ status: 'completed', segments: { done: 19, failed: 0, total: 19 }, keysLeft: 0, rows: { covered: 1830, planned: 1830 } });
    for (const [name, rows] of Object.entries(SEEDED)) {
      const entity = registry.get(name);
      const [a, b] = await Promise.all([stores.prisma.checksum(entity), stores.supabase.checksum(entity)]);
      expect({ name, ...b }).toEqual({ name, ...a });
      expect(a.count).toBe(rows);
    }
    const { rows } = await stores.control.query<{ entity: string; status: string; rows_copied: number; chunks_done: number; chunks_planned: number }>(
      `select r.entity, r.status, r.rows_copied::int, r.chunks_planned,
              (select count(*)::int from dual_write_copy_chunks c where c.run_id = r.run_id and c.status = 'done') as chunks_done
         from dual_write_copy_runs r order by r.entity`,
    );
    expect(rows).toEqual([
      { entity: 'budgets', status: 'completed', rows_copied: 1500, chunks_done: 15, chunks_planned: 15 },
      { entity: 'comments', status: 'completed', rows_copied: 200, chunks_done: 2, chunks_planned: 2 },
      { entity: 'posts', status: 'completed', rows_copied: 100, chunks_done: 1, chunks_planned: 1 },
      { entity: 'users', status: 'completed', rows_copied: 30, chunks_done: 1, chunks_planned: 1 },
    ]);
  });

  it('streamed (COPY between the databases): a worker SIGKILLed mid-copy, another finishes it; store B equals store A, no chunk counted twice', async () => {
    await emptyExampleTables(stores.poolB);
    const workerEnv = { RUNS_TEST_DOMAIN: 'example', RUNS_TEST_SUPABASE_URL: stores.supabaseUrl, RUNS_TEST_STREAM: 'true' };
    const doomed = await scratch.startWorker({ ...workerEnv, RUNS_TEST_DELAY_MS: '150', RUNS_TEST_CONCURRENCY: '1' });
    const { runId } = await coordinator.start({ kind: 'copy', selection: 'all', from: 'a', options: { segmentRows: 100 }, requestedBy: 'spec' });
    const early = await killAfterThreeBudgetChunks(runId, doomed);
    expect(early.status).toBe('running');
    expect(early.segments.done).toBeLessThan(19);

    await scratch.startWorker(workerEnv);
    const progress = await finished(runId);

    expect(progress).toMatchObject({ status: 'completed', segments: { done: 19, failed: 0, total: 19 }, keysLeft: 0, rows: { covered: 1830, planned: 1830 } });
    for (const name of Object.keys(SEEDED)) {
      const entity = registry.get(name);
      const [a, b] = await Promise.all([stores.prisma.checksum(entity), stores.supabase.checksum(entity)]);
      expect({ name, ...b }).toEqual({ name, ...a });
    }
    const { rows } = await stores.control.query<{ entity: string; rows_copied: number; chunks_done: number }>(
      `select r.entity, r.rows_copied::int, (select count(*)::int from dual_write_copy_chunks c where c.run_id = r.run_id and c.status = 'done') as chunks_done
         from dual_write_copy_runs r join distributed_run_entities e on e.copy_run_id = r.run_id where e.run_id = $1 order by r.entity`,
      [runId],
    );
    expect(rows.map((row) => [row.entity, row.chunks_done])).toEqual([['budgets', 15], ['comments', 2], ['posts', 1], ['users', 1]]);
    for (const row of rows) expect(row.rows_copied).toBeLessThanOrEqual(SEEDED[row.entity as keyof typeof SEEDED]);
    const { rows: vias } = await stores.control.query<{ via: string }>(`select distinct result->>'via' as via from distributed_run_segments where run_id = $1 and result is not null`, [runId]);
    // Every chunk recorded how it went. Which way is timing: under CI load one run had every chunk fall back from COPY
    // to KeySync (a refusal the copier treats as live writes); the streamed path itself is proven by initial-copy-stream.spec.
    expect(vias.length).toBeGreaterThan(0);
    for (const { via } of vias) expect(['copy', 'merge', 'key-sync']).toContain(via);
  });
});
