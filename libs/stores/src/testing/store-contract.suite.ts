import { createHash } from 'node:crypto';
import { contractItems, contractNotes, contractOwners, contractPosts } from './contract-fixtures';
import type { Row, RowKey } from '../entity/entity.types';
import { checksumOfRows } from '../store/canonical-row';
import {
  StoreConflictError,
  StoreError,
  StoreInvalidError,
  StoreNotFoundError,
  StoreUnavailableError,
} from '../store/store-errors';
import type { StorePlugin } from '../store/store.types';
import { RunKeys } from './run-keys';

/**
 * The behaviour every store plugin promises, run against a real store holding the suite's own fixture
 * tables (contract_owners, contract_items, contract_posts, contract_notes; see contract-fixtures.ts), which
 * both stores' migrations install. A new plugin passes when
 * `describeStoreContract('my-store', async () => ({ store, createUnavailableStore }))` is green.
 * Rows live in a random uuid slice per run (RunKeys) and are removed afterwards, so the suite can share
 * its databases with other tests.
 */
export interface StoreContractSubject {
  store: StorePlugin;
  /** The same plugin pointed at an endpoint that does not answer (e.g. a closed port). */
  createUnavailableStore(): StorePlugin | Promise<StorePlugin>;
  /** Releases what the factory opened beyond `store.close()` (clients, pools). */
  teardown?(): Promise<void>;
}

const MD5_OF_EMPTY = createHash('md5').update('').digest('hex');

export function describeStoreContract(label: string, factory: () => Promise<StoreContractSubject>): void {
  describe(`${label} store contract`, () => {
    let subject: StoreContractSubject;
    let store: StorePlugin;
    const keys = new RunKeys();
    const createdOwners: string[] = [];

    beforeAll(async () => {
      subject = await factory();
      store = subject.store;
    });

    afterAll(async () => {
      // Deleting an owner cascades to its items, posts and notes.
      for (const id of createdOwners) {
        await store.delete(contractOwners, id).catch((error: unknown) => {
          if (!(error instanceof StoreNotFoundError)) throw error;
        });
      }
      await store.close();
      await subject.teardown?.();
    });

    async function newOwner(): Promise<Row> {
      const id = keys.id();
      createdOwners.push(id);
      return store.insert(contractOwners, { id, email: `${id}@contract.test`, displayName: `Contract ${label}` });
    }

    function itemRow(ownerId: string, id: string = keys.id(), overrides: Row = {}): Row {
      return {
        id,
        ownerId,
        name: 'Groceries',
        amount: '1250.50',
        currency: 'EUR',
        metadata: { tags: ['food', 'home'], limits: { weekly: 300, strict: true }, note: null },
        ...overrides,
      };
    }

    function sortedByKey(rows: Row[]): Row[] {
      // Lowercase uuid text sorts bytewise exactly as PostgreSQL orders uuids.
      return [...rows].sort((a, b) => (String(a['id']) < String(b['id']) ? -1 : 1));
    }

    async function itemsInSlice(slice: RunKeys, count: number): Promise<Row[]> {
      const owner = await newOwner();
      const rows: Row[] = [];
      for (let i = 0; i < count; i += 1) {
        rows.push(await store.insert(contractItems, itemRow(String(owner['id']), slice.id(), { amount: `${i + 1}.25` })));
      }
      return sortedByKey(rows);
    }

    it('insert returns the stored row in canonical shape and get reads the same row', async () => {
      const owner = await newOwner();
      const row = itemRow(String(owner['id']));

      const inserted = await store.insert(contractItems, row);
      const fetched = await store.get(contractItems, String(row['id']));

      expect(inserted).toEqual({
        ...row,
        amount: '1250.5',
        createdAt: expect.any(Date),
        updatedAt: expect.any(Date),
      });
      expect(fetched).toEqual(inserted);
    });

    it('get returns null for a key that is absent', async () => {
      await expect(store.get(contractItems, keys.id())).resolves.toBeNull();
    });

    it('insert of an existing key fails with a conflict and leaves the stored row unchanged', async () => {
      const owner = await newOwner();
      const original = await store.insert(contractItems, itemRow(String(owner['id'])));

      const duplicate = store.insert(contractItems, { ...original, name: 'Overwritten?' });

      await expect(duplicate).rejects.toBeInstanceOf(StoreConflictError);
      await expect(store.get(contractItems, String(original['id']))).resolves.toEqual(original);
    });

    it('update of an absent key fails with not_found', async () => {
      await expect(store.update(contractItems, keys.id(), { name: 'Nobody' })).rejects.toBeInstanceOf(StoreNotFoundError);
    });

    it('update changes only the patched fields', async () => {
      const owner = await newOwner();
      const original = await store.insert(contractItems, itemRow(String(owner['id'])));

      const updated = await store.update(contractItems, String(original['id']), { name: 'Rent', amount: '900' });

      expect(updated).toEqual({ ...original, name: 'Rent', amount: '900' });
      await expect(store.get(contractItems, String(original['id']))).resolves.toEqual(updated);
    });

    it('upsert inserts an absent row and then updates it', async () => {
      const owner = await newOwner();
      const row = itemRow(String(owner['id']));

      const inserted = await store.upsert(contractItems, row);
      const updated = await store.upsert(contractItems, { ...row, amount: '0.10', metadata: { changed: 1 } });

      expect(inserted).toMatchObject({ id: row['id'], amount: '1250.5' });
      expect(updated).toMatchObject({ id: row['id'], amount: '0.1', metadata: { changed: 1 } });
      await expect(store.get(contractItems, String(row['id']))).resolves.toEqual(updated);
    });

    it('delete returns the deleted row and removes it', async () => {
      const owner = await newOwner();
      const original = await store.insert(contractItems, itemRow(String(owner['id'])));

      const deleted = await store.delete(contractItems, String(original['id']));

      expect(deleted).toEqual(original);
      await expect(store.get(contractItems, String(original['id']))).resolves.toBeNull();
    });

    it('delete of an absent key fails with not_found', async () => {
      await expect(store.delete(contractItems, keys.id())).rejects.toBeInstanceOf(StoreNotFoundError);
    });

    it('insertMany writes every row in one go and returns the stored rows', async () => {
      const owner = await newOwner();
      const rows = [itemRow(String(owner['id'])), itemRow(String(owner['id'])), itemRow(String(owner['id']))];

      const inserted = await store.insertMany(contractItems, rows);

      const stored = await store.findManyByIds(contractItems, rows.map((row) => String(row['id'])));
      expect(stored.map((row) => row['id'])).toEqual(sortedByKey(rows).map((row) => row['id']));
      expect(sortedByKey(inserted)).toEqual(stored);
    });

    it('insertMany with one existing key fails with a conflict and writes none of the rows', async () => {
      const owner = await newOwner();
      const existing = await store.insert(contractItems, itemRow(String(owner['id'])));
      const fresh = itemRow(String(owner['id']));

      await expect(store.insertMany(contractItems, [fresh, { ...existing, name: 'Must not stick' }])).rejects.toBeInstanceOf(StoreConflictError);

      await expect(store.get(contractItems, String(existing['id']))).resolves.toEqual(existing);
      await expect(store.get(contractItems, String(fresh['id']))).resolves.toBeNull();
    });

    it('batchUpsert writes every row and returns how many', async () => {
      const owner = await newOwner();
      const existing = await store.insert(contractItems, itemRow(String(owner['id'])));
      const rows = [{ ...existing, name: 'Updated in batch' }, itemRow(String(owner['id'])), itemRow(String(owner['id']))];

      const written = await store.batchUpsert(contractItems, rows);

      expect(written).toBe(3);
      const stored = await store.findManyByIds(contractItems, rows.map((row) => String(row['id'])));
      expect(stored.map((row) => row['name']).sort()).toEqual(['Groceries', 'Groceries', 'Updated in batch']);
    });

    it('batchUpsert with one invalid row fails and writes none of the rows', async () => {
      const owner = await newOwner();
      const existing = await store.insert(contractItems, itemRow(String(owner['id'])));
      const fresh = itemRow(String(owner['id']));
      const orphan = itemRow(keys.id()); // owner does not exist: foreign key violation
      const rows = [{ ...existing, name: 'Must not stick' }, fresh, orphan];

      await expect(store.batchUpsert(contractItems, rows)).rejects.toBeInstanceOf(StoreInvalidError);

      await expect(store.get(contractItems, String(existing['id']))).resolves.toEqual(existing);
      await expect(store.findManyByIds(contractItems, [String(fresh['id']), String(orphan['id'])])).resolves.toEqual([]);
    });

    it('upsertMany writes every row and returns the stored rows, defaults filled', async () => {
      const owner = await newOwner();
      const existing = await store.insert(contractItems, itemRow(String(owner['id'])));
      const rows = [{ ...existing, name: 'Updated in batch' }, itemRow(String(owner['id']))];

      const stored = await store.upsertMany(contractItems, rows);

      const byId = (list: Row[]) => [...list].sort((x, y) => String(x['id']).localeCompare(String(y['id'])));
      expect(byId(stored)).toEqual(byId(await store.findManyByIds(contractItems, rows.map((row) => String(row['id'])))));
      expect(stored.map((row) => row['name']).sort()).toEqual(['Groceries', 'Updated in batch']);
    });

    it('upsertMany with one invalid row fails and writes none of the rows', async () => {
      const owner = await newOwner();
      const existing = await store.insert(contractItems, itemRow(String(owner['id'])));
      const fresh = itemRow(String(owner['id']));
      const orphan = itemRow(keys.id()); // owner does not exist: foreign key violation

      await expect(store.upsertMany(contractItems, [{ ...existing, name: 'Must not stick' }, fresh, orphan])).rejects.toBeInstanceOf(StoreInvalidError);

      await expect(store.get(contractItems, String(existing['id']))).resolves.toEqual(existing);
      await expect(store.findManyByIds(contractItems, [String(fresh['id']), String(orphan['id'])])).resolves.toEqual([]);
    });

    it('findManyByIds returns the rows that exist, in key order, skipping absent keys', async () => {
      const slice = new RunKeys();
      const rows = await itemsInSlice(slice, 3);

      const found = await store.findManyByIds(contractItems, [
        String(rows[2]['id']),
        slice.id(),
        String(rows[0]['id']),
      ]);

      expect(found).toEqual([rows[0], rows[2]]);
    });

    it('page walks the rows in key order and ends with nextAfter null', async () => {
      // The top slice of the key space, so the walk reaches the end of the table after this run's rows.
      const top = new RunKeys('ffffffff');
      const mine = await itemsInSlice(top, 5);
      const mineIds = new Set(mine.map((row) => String(row['id'])));

      const seen: RowKey[] = [];
      const pageSizes: number[] = [];
      let after: RowKey | null = top.lowest;
      while (after !== null) {
        const page = await store.page(contractItems, { after, limit: 2 });
        pageSizes.push(page.rows.length);
        seen.push(...page.rows.map((row) => String(row['id'])));
        after = page.nextAfter;
      }

      expect(Math.max(...pageSizes)).toBeLessThanOrEqual(2);
      expect(seen).toEqual([...seen].sort());
      expect(seen.filter((id) => mineIds.has(String(id)))).toEqual(mine.map((row) => row['id']));
    });

    it('count and checksum cover exactly the rows of a key range', async () => {
      const slice = new RunKeys();
      const rows = await itemsInSlice(slice, 3);

      const count = await store.count(contractItems, slice.range);
      const checksum = await store.checksum(contractItems, slice.range);

      expect(count).toBe(3);
      expect(checksum).toEqual(checksumOfRows(contractItems, rows));
    });

    it('count and checksum of an empty range are zero and md5 of nothing', async () => {
      const empty = new RunKeys();

      await expect(store.count(contractItems, empty.range)).resolves.toBe(0);
      await expect(store.checksum(contractItems, empty.range)).resolves.toEqual({ count: 0, checksum: MD5_OF_EMPTY });
    });

    it('checksum changes when one field of one row changes', async () => {
      const slice = new RunKeys();
      const rows = await itemsInSlice(slice, 2);
      const before = await store.checksum(contractItems, slice.range);

      await store.update(contractItems, String(rows[1]['id']), { amount: '2.26' });
      const after = await store.checksum(contractItems, slice.range);

      expect(after.count).toBe(before.count);
      expect(after.checksum).not.toBe(before.checksum);
    });

    it('stream yields every row of a range in key order', async () => {
      const slice = new RunKeys();
      const rows = await itemsInSlice(slice, 5);

      const streamed: Row[] = [];
      for await (const row of store.stream(contractItems, { batchSize: 2, range: slice.range })) streamed.push(row);

      expect(streamed).toEqual(rows);
    });

    it('ping reports the store healthy with its latency', async () => {
      const health = await store.ping();

      expect(health).toMatchObject({ store: store.name, ok: true });
      expect(health.latencyMs).toBeGreaterThanOrEqual(0);
    });

    it('a malformed uuid fails with invalid', async () => {
      await expect(store.get(contractItems, 'not-a-uuid')).rejects.toBeInstanceOf(StoreInvalidError);
    });

    it('a row pointing at a missing parent fails with invalid', async () => {
      await expect(store.insert(contractItems, itemRow(keys.id()))).rejects.toBeInstanceOf(StoreInvalidError);
    });

    it('insert of a serial-key row returns the key the database assigned', async () => {
      const author = await newOwner();
      const post = await store.insert(contractPosts, { id: keys.id(), authorId: author['id'], title: 'Hello', body: 'World' });

      const note = await store.insert(contractNotes, { postId: post['id'], authorId: author['id'], body: 'First!' });

      expect(post['published']).toBe(false);
      expect(note['id']).toEqual(expect.any(Number));
      expect(Number.isInteger(note['id']) && Number(note['id']) > 0).toBe(true);
      await expect(store.get(contractNotes, Number(note['id']))).resolves.toEqual(note);
    });

    it('after a row with a copied serial key, the sequence hands out keys above it and never moves back', async () => {
      const author = await newOwner();
      const post = await store.insert(contractPosts, { id: keys.id(), authorId: author['id'], title: 'Copied', body: 'Keys' });
      const assigned = await store.insert(contractNotes, { postId: post['id'], authorId: author['id'], body: 'assigned' });
      const copiedKey = Number(assigned['id']) + 1_000;
      await store.upsert(contractNotes, { id: copiedKey, postId: post['id'], authorId: author['id'], body: 'copied from the other store' });

      await store.keepSequenceAbove(contractNotes, copiedKey);
      await store.keepSequenceAbove(contractNotes, 1);
      const next = await store.insert(contractNotes, { postId: post['id'], authorId: author['id'], body: 'next' });

      expect(Number(next['id'])).toBeGreaterThan(copiedKey);
    });

    it('the highest key of a serial entity is at least every key it holds, and a copied higher key raises it', async () => {
      const author = await newOwner();
      const post = await store.insert(contractPosts, { id: keys.id(), authorId: author['id'], title: 'Highest', body: 'Keys' });
      const assigned = await store.insert(contractNotes, { postId: post['id'], authorId: author['id'], body: 'assigned' });
      const before = await store.highestKey(contractNotes);
      const copiedKey = Number(before) + 500;
      await store.upsert(contractNotes, { id: copiedKey, postId: post['id'], authorId: author['id'], body: 'copied from the other store' });

      const after = await store.highestKey(contractNotes);

      expect(before).toBeGreaterThanOrEqual(Number(assigned['id']));
      expect(after).toBeGreaterThanOrEqual(copiedKey);
    });

    it('a store that cannot be reached fails with unavailable and reports unhealthy', async () => {
      const unreachable = await subject.createUnavailableStore();
      try {
        const failure = await unreachable.get(contractOwners, keys.id()).catch((error: unknown) => error);
        const health = await unreachable.ping();

        expect(failure).toBeInstanceOf(StoreUnavailableError);
        expect((failure as StoreError).store).toBe(unreachable.name);
        expect(health.ok).toBe(false);
      } finally {
        await unreachable.close();
      }
    });
  });
}
