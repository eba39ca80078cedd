import { KeySync, OperationLedger } from '@dualwrite/dual-write';
import { budgetsEntity, exampleEntities } from '@dualwrite/example-domain';
import { exampleTestDomain } from '@dualwrite/testing';
import { EntityRegistry } from '@dualwrite/stores';
import { CopyAlreadyRunningError } from './copy-repository';
import { CopyStoppedError, InitialCopy } from './initial-copy';
import { SqlKeyLister, StorePageKeyLister } from './key-lister';
import { readForeignKeys } from './table-order';
import { writeLatencyProbe } from './testing/latency-probe';
import { startPhaseTwo } from './testing/phase-two';
import { withStoreBPrimary } from './testing/store-b-primary';
import { ScratchStores } from './testing/scratch-stores';
import { countRows, expectStoresEqual, plantTargetOnlyBudgets } from './testing/store-checks';
import { emptyExampleTables, seedExampleRows, seededBudgetId } from './testing/seed';

const redisUrl = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const SEEDED = { users: 40, budgets: 1050, posts: 120, comments: 300 };

describe('initial copy (store A → store B, real PostgreSQL and supabase-local)', () => {
  const stores = new ScratchStores(exampleTestDomain);

  beforeAll(async () => {
    await stores.start();
    await seedExampleRows(stores.poolA, SEEDED);
  }, 120_000);

  afterAll(async () => {
    await stores.stop();
  });

  function copier(): InitialCopy {
    return new InitialCopy({
      entities: exampleEntities,
      source: { store: stores.prisma, keys: new SqlKeyLister(stores.poolA), foreignKeys: () => readForeignKeys(stores.poolA) },
      target: { store: stores.supabase, keys: new SqlKeyLister(stores.poolB, 'public') },
      sourceSide: 'a',
      control: stores.control,
      keySync: new KeySync({ pool: stores.control, ledger: new OperationLedger(stores.control) }),
    });
  }

  it('copies every table completely, parents before children (foreign keys read from the source)', async () => {
    await emptyExampleTables(stores.poolB);
    const result = await copier().copy(['comments', 'budgets', 'posts', 'users'], { chunkSize: 100 });

    expect(result.entities.map((entity) => entity.entity)).toEqual(['users', 'budgets', 'posts', 'comments']);
    const registry = new EntityRegistry(exampleEntities);
    for (const [name, rows] of Object.entries(SEEDED)) {
      expect(await expectStoresEqual(stores, registry.get(name))).toBe(rows);
    }
    expect(result.entities.find((entity) => entity.entity === 'budgets')).toMatchObject({ chunks: 11, chunksCopied: 11, rowsCopied: 1050, keysLeft: [], resumed: false });
    // Serial keys: store B's sequence is above the copied keys, so it never hands out one store A gave.
    const { rows } = await stores.poolB.query<{ id: number }>("insert into comments (post_id, author_id, body) select post_id, author_id, 'new' from comments limit 1 returning id");
    expect(rows[0]?.id).toBeGreaterThan(SEEDED.comments);
    await stores.poolB.query('delete from comments where id = $1', [rows[0]?.id]);
  });

  it('a copy stopped after 3 chunks resumes at chunk 4 and never redoes a finished chunk', async () => {
    await emptyExampleTables(stores.poolB);
    await copier().copy(['users'], { chunkSize: 100 });
    const controller = new AbortController();
    const firstChunks: number[] = [];
    let firstRun = '';
    const stopped = copier().copy(['budgets'], {
      chunkSize: 100,
      signal: controller.signal,
      onProgress: (event) => {
        if (event.kind === 'entity-start') firstRun = event.runId;
        if (event.kind !== 'chunk') return;
        firstChunks.push(event.chunkNo);
        if (firstChunks.length === 3) controller.abort();
      },
    });
    await expect(stopped).rejects.toThrow(CopyStoppedError);
    expect(firstChunks).toEqual([1, 2, 3]);
    expect(await countRows(stores.poolB, 'budgets')).toBe(300);

    // A change behind the copy's back in a finished chunk: redoing that chunk would overwrite it.
    const { rows } = await stores.poolB.query<{ id: string }>("update budgets set name = 'changed on B' where id = (select id from budgets order by id limit 1) returning id");
    const resumedChunks: number[] = [];
    const result = await copier().copy(['budgets'], { chunkSize: 100, onProgress: (event) => void (event.kind === 'chunk' && resumedChunks.push(event.chunkNo)) });

    expect(result.entities[0]).toMatchObject({ runId: firstRun, resumed: true, chunks: 11, chunksSkipped: 3, chunksCopied: 8, rowsCopied: 750 });
    expect(resumedChunks).toEqual([4, 5, 6, 7, 8, 9, 10, 11]);
    expect(await countRows(stores.poolB, 'budgets')).toBe(1050);
    const untouched = await stores.poolB.query<{ name: string }>('select name from budgets where id = $1', [rows[0]?.id]);
    expect(untouched.rows[0]?.name).toBe('changed on B');
    const { rows: chunkRows } = await stores.control.query<{ done: number }>("select count(*)::int as done from dual_write_copy_chunks where run_id = $1 and status = 'done'", [firstRun]);
    expect(chunkRows[0]?.done).toBe(11);
  });

  it('a dry run lists the chunks and rows it would copy and writes nothing; an unknown entity is refused by name', async () => {
    await emptyExampleTables(stores.poolB);
    const { rows: before } = await stores.control.query<{ n: number }>('select count(*)::int as n from dual_write_copy_runs');

    const plans = await copier().dryRun('all', { chunkSize: 100 });

    expect(plans.map((plan) => [plan.entity, plan.chunks.length, plan.rows, plan.resumesRun])).toEqual([
      ['users', 1, 40, null],
      ['budgets', 11, 1050, null],
      ['posts', 2, 120, null],
      ['comments', 3, 300, null],
    ]);
    expect(plans[1]?.chunks[0]).toMatchObject({ chunkNo: 1, afterKey: null, rows: 100 });
    for (const table of ['users', 'budgets', 'posts', 'comments']) expect(await countRows(stores.poolB, table)).toBe(0);
    const { rows: after } = await stores.control.query<{ n: number }>('select count(*)::int as n from dual_write_copy_runs');
    expect(after[0]?.n).toBe(before[0]?.n);
    await expect(copier().copy(['budget'])).rejects.toThrow('Unknown entity "budget". Known entities: users, budgets, posts, comments.');
  });

  it('under phase-2 dual writes (updates, deletes, creates through the real engine) both stores end equal, no deleted row comes back', async () => {
    await emptyExampleTables(stores.poolB);
    // The owner of the budgets created during the copy; users are copied first (parents), then left alone.
    await stores.poolA.query("insert into users (id, email, display_name) values ('5d0e8b1e-0000-4000-8000-000000000000', 'creator@copy.test', 'Creator')");
    await copier().copy(['users'], { chunkSize: 100 });
    const phase = await startPhaseTwo(stores, redisUrl, 'copy spec');
    const { engine } = phase;
    const deleted = Array.from({ length: 1050 }, (_, i) => i + 1).filter((n) => n % 11 === 0).map(seededBudgetId);
    const updated = Array.from({ length: 1050 }, (_, i) => i + 1).filter((n) => n % 7 === 0 && n % 11 !== 0).map(seededBudgetId);
    const writes: (() => Promise<unknown>)[] = [];
    for (let i = 0; i < Math.max(deleted.length, updated.length); i += 1) {
      const del = deleted[i];
      const upd = updated[i];
      if (upd) writes.push(() => engine.update({ entity: 'budgets' }, upd, { name: `updated during the copy ${i}` }));
      if (del) writes.push(() => engine.delete({ entity: 'budgets' }, del));
      if (i % 2 === 0) {
        writes.push(() => engine.create({ entity: 'budgets' }, { ownerId: '5d0e8b1e-0000-4000-8000-000000000000', name: `created ${i}`, amount: '1.00', currency: 'EUR' }));
      }
    }
    try {
      const traffic = (async () => {
        for (let i = 0; i < writes.length; i += 4) await Promise.all(writes.slice(i, i + 4).map((write) => write()));
      })();
      const copied = copier().copy(['budgets'], { chunkSize: 50, rate: 500 });
      const [result] = await Promise.all([copied, traffic]);
      await engine.drain();

      const created = writes.length - deleted.length - updated.length;
      expect(await expectStoresEqual(stores, budgetsEntity)).toBe(1050 - deleted.length + created);
      const { rows } = await stores.poolB.query<{ n: number }>('select count(*)::int as n from budgets where id = any($1::uuid[])', [deleted]);
      expect(rows[0]?.n).toBe(0);
      expect(result.entities[0]?.keysRechecked).toBeGreaterThan(0);
      expect(result.entities[0]?.keysLeft).toEqual([]);
      const { rows: statuses } = await stores.control.query<{ status: string; n: number }>('select status, count(*)::int as n from dual_write_ops group by status');
      expect(statuses).toEqual([{ status: 'applied', n: writes.length }]);
    } finally {
      await phase.close();
    }
  });

  it('a second copy of an entity while one runs is refused, naming the running one', async () => {
    await emptyExampleTables(stores.poolB);
    await copier().copy(['users'], { chunkSize: 100 });
    const controller = new AbortController();
    let started!: (runId: string) => void;
    const running = new Promise<string>((resolve) => (started = resolve));
    const first = copier().copy(['budgets'], { chunkSize: 50, rate: 100, signal: controller.signal, onProgress: (event) => void (event.kind === 'entity-start' && started(event.runId)) });
    const runId = await running;
    try {
      const second = copier().copy(['budgets']);
      await expect(second).rejects.toThrow(CopyAlreadyRunningError);
      await expect(copier().copy('all')).rejects.toThrow(`a copy of budgets is already running: run ${runId} (prisma → supabase, started `);
    } finally {
      controller.abort();
      await expect(first).rejects.toThrow(CopyStoppedError);
    }
  });

  it("never deletes a row only the target holds without the ledger's proof: it is reported as left; with a proven delete it goes", async () => {
    await emptyExampleTables(stores.poolB);
    await copier().copy(['users'], { chunkSize: 100 });
    const orphans = await plantTargetOnlyBudgets(stores, '5d0e8b1e-0000-4000-8000-000000000000');

    const result = await copier().copy(['budgets'], { chunkSize: 100 });

    const [copied] = result.entities;
    expect(copied?.keysLeft).toEqual([{ key: orphans[0], reason: expect.stringContaining('the ledger records no delete of it: both rows left') }]);
    expect(copied?.rowsDeleted).toBe(1);
    const { rows } = await stores.poolB.query<{ id: string }>('select id from budgets where id = any($1::uuid[])', [orphans]);
    expect(rows.map((row) => row.id)).toEqual([orphans[0]]);
    await stores.poolB.query('delete from budgets where id = $1', [orphans[0]]);
  });

  it("backs off when the primary's write p95 rises above the one before the copy (ledger path latencies)", async () => {
    await emptyExampleTables(stores.poolB);
    await copier().copy(['users'], { chunkSize: 100 });
    // Enough writes to outweigh the earlier tests' real ones in both windows.
    const probe = (latencyMs: number, age: string) => writeLatencyProbe(stores.control, { latencyMs, age, writes: 10_000, primaryStore: 'prisma' });
    await probe(2, '2 minutes'); // before the copy: p95 2 ms
    const controller = new AbortController();
    const first = copier().copy(['budgets'], { chunkSize: 100, signal: controller.signal, onProgress: (event) => void (event.kind === 'chunk' && controller.abort()) });
    await expect(first).rejects.toThrow(CopyStoppedError);
    await probe(40, '0 seconds'); // since the copy began: p95 40 ms
    const speeds: number[] = [];

    // The resumed run compares with the p95 before the run first began.
    const slowed = new AbortController();
    const resumed = copier().copy(['budgets'], {
      chunkSize: 100,
      checkEveryMs: 0,
      signal: slowed.signal,
      onProgress: (event) => {
        if (event.kind === 'speed') speeds.push(event.factor);
        if (speeds.length === 4) slowed.abort();
      },
    });
    await expect(resumed).rejects.toThrow(CopyStoppedError);

    // Halved at every look while the p95 stays up, down to 1/16 of full speed.
    expect(speeds).toEqual([0.5, 0.25, 0.125, 0.0625]);
  });

  it("copies back from store B to store A (the reverse copy), store B's keys read over REST", async () => {
    await copier().copy(['budgets'], { chunkSize: 100 }); // store B complete (finishing the run the previous test stopped)
    await expectStoresEqual(stores, budgetsEntity);
    await stores.poolA.query("delete from budgets where name like 'Budget 1%'");
    const { rows: before } = await stores.poolA.query<{ n: number }>('select count(*)::int as n from budgets');
    const reverse = new InitialCopy({
      entities: exampleEntities,
      source: { store: stores.supabase, keys: new StorePageKeyLister(stores.supabase, 70) },
      target: { store: stores.prisma, keys: new SqlKeyLister(stores.poolA) },
      sourceSide: 'b',
      control: stores.control,
      keySync: new KeySync({ pool: stores.control, ledger: new OperationLedger(stores.control) }),
    });

    const result = await withStoreBPrimary(stores.control, () => reverse.copy(['budgets'], { chunkSize: 100 }));

    expect(result.entities[0]).toMatchObject({ sourceStore: 'supabase', targetStore: 'prisma', keysLeft: [] });
    const count = await expectStoresEqual(stores, budgetsEntity);
    expect(count).toBeGreaterThan(before[0]?.n ?? 0);
  });
});
