import { KeySync, OperationLedger, RolesMovedError } from '@dualwrite/dual-write';
import { budgetsEntity, commentsEntity, exampleEntities, postsEntity } from '@dualwrite/example-domain';
import { exampleTestDomain } from '@dualwrite/testing';
import { EntityRegistry } from '@dualwrite/stores';
import type { StreamedVia } from './copy-stream';
import { InitialCopy } from './initial-copy';
import { SqlKeyLister } from './key-lister';
import { readForeignKeys } from './table-order';
import { startPhaseTwo, type PhaseTwo } from './testing/phase-two';
import { withStoreBPrimary } from './testing/store-b-primary';
import { ScratchStores } from './testing/scratch-stores';
import { countRows, expectStoresEqual, plantTargetOnlyBudgets } from './testing/store-checks';
import { emptyExampleTables, seedExampleRows } from './testing/seed';

const redisUrl = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const SEEDED = { users: 40, budgets: 1050, posts: 120, comments: 300 };
const CREATOR = '5d0e8b1e-0000-4000-8000-000000000000';

type FirstRows = (chunk: { entity: string; chunkNo: number; via: StreamedVia }) => Promise<void>;

describe('initial copy, streamed as COPY between the two PostgreSQL databases (real PostgreSQL, supabase-local, Redis)', () => {
  const stores = new ScratchStores(exampleTestDomain);

  beforeAll(async () => {
    await stores.start();
    await seedExampleRows(stores.poolA, SEEDED);
    await stores.poolA.query("insert into users (id, email, display_name) values ($1, 'creator@copy.test', 'Creator')", [CREATOR]);
  }, 120_000);

  afterAll(async () => {
    await stores.stop();
  });

  const keySync = () => new KeySync({ pool: stores.control, ledger: new OperationLedger(stores.control) });

  function copier(onFirstRows?: FirstRows): InitialCopy {
    return new InitialCopy({
      entities: exampleEntities,
      source: { store: stores.prisma, keys: new SqlKeyLister(stores.poolA), foreignKeys: () => readForeignKeys(stores.poolA) },
      target: { store: stores.supabase, keys: new SqlKeyLister(stores.poolB, 'public') },
      sourceSide: 'a',
      control: stores.control,
      keySync: keySync(),
      stream: { source: { pool: stores.poolA }, target: { pool: stores.poolB, schema: 'public' }, onFirstRows },
    });
  }

  /** The budget keys of store A in key order (the copy's chunks are runs of 100 of them). */
  async function budgetKeysOnA(): Promise<string[]> {
    const { rows } = await stores.poolA.query<{ id: string }>('select id::text as id from budgets order by id');
    return rows.map((row) => row.id);
  }

  async function freshTargetWithUsers(): Promise<void> {
    await emptyExampleTables(stores.poolB);
    await copier().copy(['users'], { chunkSize: 100 });
  }

  async function withPhaseTwo(work: (phase: PhaseTwo) => Promise<void>): Promise<void> {
    const phase = await startPhaseTwo(stores, redisUrl, 'copy stream spec');
    try {
      await work(phase);
    } finally {
      await phase.close();
    }
  }

  it('copies every table straight into the empty target tables by COPY, parents first; both stores equal; the serial sequence ends above the copied keys', async () => {
    await emptyExampleTables(stores.poolB);
    const result = await copier().copy(['comments', 'budgets', 'posts', 'users'], { chunkSize: 100 });

    expect(result.entities.map((entity) => entity.entity)).toEqual(['users', 'budgets', 'posts', 'comments']);
    const registry = new EntityRegistry(exampleEntities);
    for (const [name, rows] of Object.entries(SEEDED)) {
      expect(await expectStoresEqual(stores, registry.get(name))).toBe(name === 'users' ? rows + 1 : rows);
    }
    expect(result.entities.find((entity) => entity.entity === 'budgets')).toMatchObject({
      chunks: 11,
      chunksCopied: 11,
      rowsCopied: 1050,
      chunksVia: { copy: 11, merge: 0, keySync: 0 },
      keysLeft: [],
    });
    const { rows } = await stores.poolB.query<{ id: number }>("insert into comments (post_id, author_id, body) select post_id, author_id, 'new' from comments limit 1 returning id");
    expect(rows[0]?.id).toBe(SEEDED.comments + 1);
    await stores.poolB.query('delete from comments where id = $1', [rows[0]?.id]);
  });

  it('a chunk the target fails fails the run; the next copy resumes at that chunk and never redoes a finished one', async () => {
    await freshTargetWithUsers();
    const keys = await budgetKeysOnA();
    // Store B refuses the first row of chunk 5 (a trigger of this test), as a broken connection or a full disk would.
    await stores.poolB.query(`create function refuse_one_budget() returns trigger language plpgsql as $$
      begin if new.id = '${keys[400]}' then raise exception 'refused by the spec'; end if; return new; end $$`);
    await stores.poolB.query('create trigger refuse_one_budget before insert on budgets for each row execute function refuse_one_budget()');
    const firstChunks: number[] = [];
    let firstRun = '';
    try {
      const failed = copier().copy(['budgets'], {
        chunkSize: 100,
        onProgress: (event) => {
          if (event.kind === 'entity-start') firstRun = event.runId;
          if (event.kind === 'chunk') firstChunks.push(event.chunkNo);
        },
      });
      await expect(failed).rejects.toThrow('refused by the spec');
    } finally {
      await stores.poolB.query('drop trigger refuse_one_budget on budgets; drop function refuse_one_budget()');
    }
    expect(firstChunks).toEqual([1, 2, 3, 4]);
    expect(await countRows(stores.poolB, 'budgets')).toBe(400);
    const { rows: failedRun } = await stores.control.query<{ status: string; error: string }>('select status, error from dual_write_copy_runs where run_id = $1', [firstRun]);
    expect(failedRun[0]).toEqual({ status: 'failed', error: expect.stringContaining('refused by the spec') });

    // A change behind the copy's back in a finished chunk: redoing that chunk would not show, so it is checked by the chunk numbers.
    await stores.poolB.query("update budgets set name = 'changed on B' where id = $1", [keys[0]]);
    const resumedChunks: number[] = [];
    const result = await copier().copy(['budgets'], { chunkSize: 100, onProgress: (event) => void (event.kind === 'chunk' && resumedChunks.push(event.chunkNo)) });

    expect(result.entities[0]).toMatchObject({ runId: firstRun, resumed: true, chunksSkipped: 4, chunksCopied: 7, rowsCopied: 650, chunksVia: { copy: 7, merge: 0, keySync: 0 } });
    expect(resumedChunks).toEqual([5, 6, 7, 8, 9, 10, 11]);
    expect(await countRows(stores.poolB, 'budgets')).toBe(1050);
    const { rows } = await stores.poolB.query<{ name: string }>('select name from budgets where id = $1', [keys[0]]);
    expect(rows[0]?.name).toBe('changed on B');
  });

  it('a chunk whose rows reached the target but whose completion was not recorded (killed in between) is redone as a merge: nothing doubled, nothing overwritten', async () => {
    await freshTargetWithUsers();
    const keys = await budgetKeysOnA();
    await stores.control.query(`create function lose_chunk_three() returns trigger language plpgsql as $$
      begin if new.chunk_no = 3 and new.status = 'done' then raise exception 'killed before chunk 3 was recorded'; end if; return new; end $$`);
    await stores.control.query('create trigger lose_chunk_three before update on dual_write_copy_chunks for each row execute function lose_chunk_three()');
    try {
      await expect(copier().copy(['budgets'], { chunkSize: 100 })).rejects.toThrow('killed before chunk 3 was recorded');
    } finally {
      await stores.control.query('drop trigger lose_chunk_three on dual_write_copy_chunks; drop function lose_chunk_three()');
    }
    expect(await countRows(stores.poolB, 'budgets')).toBe(300);
    await stores.poolB.query("update budgets set name = 'changed on B' where id = $1", [keys[250]]);

    const result = await copier().copy(['budgets'], { chunkSize: 100 });

    expect(result.entities[0]).toMatchObject({ resumed: true, chunksSkipped: 2, chunksCopied: 9, rowsCopied: 750, chunksVia: { copy: 8, merge: 1, keySync: 0 } });
    expect(await countRows(stores.poolB, 'budgets')).toBe(1050);
    const { rows } = await stores.poolB.query<{ name: string }>('select name from budgets where id = $1', [keys[250]]);
    expect(rows[0]?.name).toBe('changed on B');
    await keySync().sync(budgetsEntity, [keys[250] as string], stores.prisma, stores.supabase);
    await expectStoresEqual(stores, budgetsEntity);
  });

  it('a row the dual write updates while its chunk streams is not overwritten with the older snapshot (merge, and COPY falling back to merge)', async () => {
    await freshTargetWithUsers();
    const keys = await budgetKeysOnA();
    // Chunk 1 already has a row on B (synced earlier), so it goes as a merge; chunk 2 is empty on B, so as a COPY.
    await keySync().sync(budgetsEntity, [keys[0] as string], stores.prisma, stores.supabase);
    const seen: string[] = [];
    // What store B holds once the chunk is in, before the end re-check could correct anything.
    const nameOnB = async (key: string) => (await stores.poolB.query<{ name: string }>('select name from budgets where id = $1', [key])).rows[0]?.name;
    const afterChunk: Record<string, string | undefined> = {};
    await withPhaseTwo(async ({ engine }) => {
      const result = await copier(async ({ entity, chunkNo, via }) => {
        seen.push(`${entity}:${chunkNo}:${via}`);
        if (chunkNo === 1 && via === 'merge') await engine.update({ entity: 'budgets' }, keys[1] as string, { name: 'newer, during the merge' });
        if (chunkNo === 2 && via === 'copy') {
          afterChunk['merge'] = await nameOnB(keys[1] as string);
          await engine.update({ entity: 'budgets' }, keys[150] as string, { name: 'newer, during the COPY' });
        }
        if (chunkNo === 3 && via === 'copy') afterChunk['copy'] = await nameOnB(keys[150] as string);
      }).copy(['budgets'], { chunkSize: 100 });

      expect(seen.slice(0, 4)).toEqual(['budgets:1:merge', 'budgets:2:copy', 'budgets:2:merge', 'budgets:3:copy']);
      expect(result.entities[0]?.chunksVia).toEqual({ copy: 9, merge: 2, keySync: 0 });
    });
    expect(afterChunk).toEqual({ merge: 'newer, during the merge', copy: 'newer, during the COPY' });
    const { rows } = await stores.poolB.query<{ id: string; name: string }>('select id::text as id, name from budgets where id = any($1::uuid[]) order by id', [[keys[1], keys[150]]]);
    expect(rows).toEqual([
      { id: keys[1], name: 'newer, during the merge' },
      { id: keys[150], name: 'newer, during the COPY' },
    ]);
    await expectStoresEqual(stores, budgetsEntity);
  });

  it('a row the dual write deletes after its chunk snapshot is removed again by the end re-check (the ledger has its delete): not resurrected', async () => {
    await freshTargetWithUsers();
    const keys = await budgetKeysOnA();
    const victim = keys[420] as string;
    await withPhaseTwo(async ({ engine }) => {
      const result = await copier(async ({ chunkNo, via }) => {
        if (chunkNo === 5 && via === 'copy') await engine.delete({ entity: 'budgets' }, victim);
      }).copy(['budgets'], { chunkSize: 100 });

      // Chunk 5 copied its snapshot, the deleted row with it; the re-check deleted it with the ledger's proof.
      expect(result.entities[0]).toMatchObject({ rowsDeleted: 1, keysLeft: [], chunksVia: { copy: 11, merge: 0, keySync: 0 } });
      expect(result.entities[0]?.keysRechecked).toBeGreaterThanOrEqual(1);
    });
    const { rows } = await stores.poolB.query('select id from budgets where id = $1', [victim]);
    expect(rows).toEqual([]);
    expect(await expectStoresEqual(stores, budgetsEntity)).toBe(1049);
  });

  it('a chunk whose parents the dual writes delete while it streams (foreign key refused twice) goes through KeySync; both stores end equal', async () => {
    await freshTargetWithUsers();
    await copier().copy(['budgets', 'posts'], { chunkSize: 100 });
    // Comment n belongs to post 1 + n % 120: comment 1 to post 2, comment 2 to post 3 (both in chunk 1).
    const postOf = async (commentId: number) => (await stores.poolA.query<{ post: string }>('select post_id::text as post from comments where id = $1', [commentId])).rows[0]?.post as string;
    const [firstPost, secondPost] = [await postOf(1), await postOf(2)];
    await withPhaseTwo(async ({ engine }) => {
      const result = await copier(async ({ entity, chunkNo, via }) => {
        if (entity !== 'comments' || chunkNo !== 1) return;
        await engine.delete({ entity: 'posts' }, via === 'copy' ? firstPost : secondPost);
      }).copy(['comments'], { chunkSize: 100 });

      expect(result.entities[0]).toMatchObject({ chunksVia: { copy: 2, merge: 0, keySync: 1 }, keysLeft: [] });
    });
    await expectStoresEqual(stores, postsEntity);
    expect(await expectStoresEqual(stores, commentsEntity)).toBeLessThan(SEEDED.comments);
  });

  it('under phase-2 dual writes (updates, deletes, creates through the real engine) both stores end equal, no deleted row comes back', async () => {
    await freshTargetWithUsers();
    const live = await budgetKeysOnA();
    const deleted = live.filter((_, i) => i % 11 === 3);
    const updated = live.filter((_, i) => i % 7 === 2 && i % 11 !== 3);
    await withPhaseTwo(async ({ engine }) => {
      const writes: (() => Promise<unknown>)[] = [];
      for (let i = 0; i < Math.max(deleted.length, updated.length); i += 1) {
        const del = deleted[i];
        const upd = updated[i];
        if (upd) writes.push(() => engine.update({ entity: 'budgets' }, upd, { name: `updated during the copy ${i}` }));
        if (del) writes.push(() => engine.delete({ entity: 'budgets' }, del));
        if (i % 2 === 0) writes.push(() => engine.create({ entity: 'budgets' }, { ownerId: CREATOR, name: `created ${i}`, amount: '1.00', currency: 'EUR' }));
      }
      const traffic = (async () => {
        for (let i = 0; i < writes.length; i += 4) await Promise.all(writes.slice(i, i + 4).map((write) => write()));
      })();
      const [result] = await Promise.all([copier().copy(['budgets'], { chunkSize: 50, rate: 500 }), traffic]);
      await engine.drain();

      const created = writes.length - deleted.length - updated.length;
      expect(await expectStoresEqual(stores, budgetsEntity)).toBe(live.length - deleted.length + created);
      const { rows } = await stores.poolB.query<{ n: number }>('select count(*)::int as n from budgets where id = any($1::uuid[])', [deleted]);
      expect(rows[0]?.n).toBe(0);
      expect(result.entities[0]?.keysLeft).toEqual([]);
      expect(result.entities[0]?.keysRechecked).toBeGreaterThan(0);
    });
  });

  it("merges into a window the target already holds rows of: a row only the target holds goes with the ledger's proof of its delete, else it is reported as left", async () => {
    await freshTargetWithUsers();
    const orphans = await plantTargetOnlyBudgets(stores, CREATOR);

    const result = await copier().copy(['budgets'], { chunkSize: 100 });

    const [copied] = result.entities;
    expect(copied?.chunksVia.merge).toBe(1);
    expect(copied?.keysLeft).toEqual([{ key: orphans[0], reason: expect.stringContaining('the ledger records no delete of it: both rows left') }]);
    expect(copied?.rowsDeleted).toBe(1);
    const { rows } = await stores.poolB.query<{ id: string }>('select id from budgets where id = any($1::uuid[])', [orphans]);
    expect(rows.map((row) => row.id)).toEqual([orphans[0]]);
    await stores.poolB.query('delete from budgets where id = $1', [orphans[0]]);
    await expectStoresEqual(stores, budgetsEntity);
  });

  it('a flip making store B primary while a chunk streams: that chunk ends, the next is refused; once store A is primary again the copy resumes', async () => {
    await freshTargetWithUsers();
    let flipped = false;
    const copy = copier(async ({ chunkNo }) => {
      if (chunkNo !== 1 || flipped) return;
      flipped = true;
      await stores.control.query('update dual_write_flags set enable_dual_write = true, enable_supabase_primary = true, version = version + 1 where id = 1');
    });

    try {
      await expect(copy.copy(['budgets'], { chunkSize: 100 })).rejects.toThrow(RolesMovedError);
    } finally {
      await stores.control.query('update dual_write_flags set enable_dual_write = false, enable_supabase_primary = false, version = version + 1 where id = 1');
    }
    expect(await countRows(stores.poolB, 'budgets')).toBe(100);

    const resumed = await copier().copy(['budgets'], { chunkSize: 100 });
    expect(resumed.entities[0]).toMatchObject({ resumed: true, chunksSkipped: 1 });
    await expectStoresEqual(stores, budgetsEntity);
  });

  it('copies back from store B to store A streamed (the reverse copy): rows only store B holds are inserted, the rest kept', async () => {
    await freshTargetWithUsers();
    await copier().copy(['budgets'], { chunkSize: 100 });
    await stores.poolA.query("delete from budgets where name like 'Budget 1%'");
    const reverse = new InitialCopy({
      entities: exampleEntities,
      source: { store: stores.supabase, keys: new SqlKeyLister(stores.poolB, 'public') },
      target: { store: stores.prisma, keys: new SqlKeyLister(stores.poolA) },
      sourceSide: 'b',
      control: stores.control,
      keySync: keySync(),
      stream: { source: { pool: stores.poolB, schema: 'public' }, target: { pool: stores.poolA } },
    });

    const result = await withStoreBPrimary(stores.control, () => reverse.copy(['budgets'], { chunkSize: 100 }));

    expect(result.entities[0]).toMatchObject({ sourceStore: 'supabase', targetStore: 'prisma', keysLeft: [] });
    expect(result.entities[0]?.rowsCopied).toBeGreaterThan(0);
    expect(result.entities[0]?.chunksVia.keySync).toBe(0);
    await expectStoresEqual(stores, budgetsEntity);
  });

  it('keeps to --rate inside a chunk: paced as the rows stream, not once per chunk', async () => {
    await freshTargetWithUsers();
    const rows = (await budgetKeysOnA()).length;
    const started = Date.now();
    await copier().copy(['budgets'], { chunkSize: 1000, rate: 200 });
    // The bucket starts with a second of rows and the last piece of the stream (at most ~64 KB, < 400 rows) is not waited for.
    expect(Date.now() - started).toBeGreaterThanOrEqual(((rows - 200 - 400) / 200) * 1000);
    await expectStoresEqual(stores, budgetsEntity);
  });
});
