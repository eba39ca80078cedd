import { v7 as uuidv7 } from 'uuid';
import { budgetsEntity, createPrismaClient, usersEntity } from '@dualwrite/example-domain';
import type { Row } from '@dualwrite/stores';
import { PrismaStore } from '@dualwrite/stores';
import { StoreConflictError, StoreUnavailableError } from '@dualwrite/stores';
import type { StorePlugin } from '@dualwrite/stores';
import { SupabaseStore } from '@dualwrite/stores';
import { eventually } from '@dualwrite/testing';
import { supabaseTestSettings, unreachableSupabase } from '@dualwrite/stores/testing';
import { StoreBreakers } from '../breakers/store-breakers';
import { BackpressureError } from './backpressure-error';
import { InsertBatcher } from './insert-batcher';

const primaryUrl = process.env['PRIMARY_DATABASE_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/dw_primary';

/** Counts the calls the batcher makes on a real store (the rows still go to the database). */
function counted(store: StorePlugin): { store: StorePlugin; calls: { insert: number; insertMany: number[] } } {
  const calls = { insert: 0, insertMany: [] as number[] };
  const wrapped = Object.create(store) as StorePlugin;
  wrapped.insert = (entity, row) => {
    calls.insert += 1;
    return store.insert(entity, row);
  };
  wrapped.insertMany = (entity, rows) => {
    calls.insertMany.push(rows.length);
    return store.insertMany(entity, rows);
  };
  return { store: wrapped, calls };
}

describe.each([
  ['PrismaStore', () => new PrismaStore(createPrismaClient(primaryUrl), { ownsClient: true })],
  ['SupabaseStore', () => new SupabaseStore(supabaseTestSettings())],
])('InsertBatcher on %s', (_name, createStore) => {
  const store: StorePlugin = createStore();
  let ownerId: string;

  const budget = (overrides: Row = {}): Row => ({ id: uuidv7(), ownerId, name: 'Batched', amount: '10.50', currency: 'EUR', metadata: { n: 1 }, ...overrides });

  beforeAll(async () => {
    ownerId = uuidv7();
    await store.insert(usersEntity, { id: ownerId, email: `${ownerId}@batcher.test`, displayName: 'Batcher' });
  });

  afterAll(async () => {
    await store.delete(usersEntity, ownerId).catch(() => undefined);
    await store.close();
  });

  it('a lone create goes out at once as a plain insert', async () => {
    const { store: watched, calls } = counted(store);
    const row = budget();

    const stored = await new InsertBatcher().insert(watched, budgetsEntity, row);

    expect(stored).toMatchObject({ id: row['id'], name: 'Batched' });
    expect(calls).toEqual({ insert: 1, insertMany: [] });
  });

  it('creates arriving while a batch is out leave together, and each caller gets its own stored row', async () => {
    const { store: watched, calls } = counted(store);
    const batcher = new InsertBatcher();
    const rows = Array.from({ length: 30 }, (_, index) => budget({ name: `row ${index}` }));

    const stored = await Promise.all(
      rows.map(async (row, index) => {
        // Spread the arrivals over a few event-loop turns, as requests arrive.
        await new Promise((resolve) => setTimeout(resolve, index % 3));
        return batcher.insert(watched, budgetsEntity, row);
      }),
    );

    expect(stored.map((row) => [row['id'], row['name']])).toEqual(rows.map((row) => [row['id'], row['name']]));
    expect(calls.insert + calls.insertMany.length).toBeLessThan(rows.length);
    expect(calls.insert + calls.insertMany.reduce((sum, size) => sum + size, 0)).toBe(rows.length);
    await expect(store.findManyByIds(budgetsEntity, rows.map((row) => String(row['id'])))).resolves.toHaveLength(rows.length);
  });

  it('a refused batch is retried row by row: only the conflicting caller fails', async () => {
    const batcher = new InsertBatcher();
    const existing = await store.insert(budgetsEntity, budget({ name: 'already there' }));
    const rows = [budget({ name: 'fresh 1' }), { ...existing, name: 'duplicate' }, budget({ name: 'fresh 2' })];

    const outcomes = await Promise.allSettled(rows.map((row) => batcher.insert(store, budgetsEntity, row)));

    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((outcomes[1] as PromiseRejectedResult).reason).toBeInstanceOf(StoreConflictError);
    await expect(store.get(budgetsEntity, String(existing['id']))).resolves.toEqual(existing);
    await expect(store.findManyByIds(budgetsEntity, [String(rows[0]?.['id']), String(rows[2]?.['id'])])).resolves.toHaveLength(2);
  });

  it('refuses a row without its key, naming the key', async () => {
    await expect(new InsertBatcher().insert(store, budgetsEntity, { ownerId, name: 'no key' })).rejects.toThrow('budgets: a batched insert needs the row\'s id');
  });
});

/** A real store whose inserts wait until `release()` (a store busy with an earlier batch); the rows still go to the database. */
function held(store: StorePlugin): { store: StorePlugin; release(): void } {
  let open: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const wrapped = Object.create(store) as StorePlugin;
  wrapped.insert = async (entity, row) => {
    await gate;
    return store.insert(entity, row);
  };
  wrapped.insertMany = async (entity, rows) => {
    await gate;
    return store.insertMany(entity, rows);
  };
  return { store: wrapped, release: () => open() };
}

describe('InsertBatcher queue bound, on both stores', () => {
  const prisma = new PrismaStore(createPrismaClient(primaryUrl), { ownsClient: true });
  const supabase = new SupabaseStore(supabaseTestSettings());
  const ownerId = uuidv7();
  const budget = (name: string): Row => ({ id: uuidv7(), ownerId, name, amount: '1.00', currency: 'EUR', metadata: {} });
  /** What the engine does for a create in a dual mode: the same row object to both stores at once. */
  const toBoth = (batcher: InsertBatcher, a: StorePlugin, b: StorePlugin, row: Row) =>
    Promise.allSettled([batcher.insert(b, budgetsEntity, row), batcher.insert(a, budgetsEntity, row)]);
  const onEachStore = (row: Row) => Promise.all([prisma, supabase].map((store) => store.get(budgetsEntity, String(row['id']))));

  beforeAll(async () => {
    for (const store of [prisma, supabase]) {
      await store.insert(usersEntity, { id: ownerId, email: `${ownerId}@bound.test`, displayName: 'Bound' });
    }
  });

  afterAll(async () => {
    for (const store of [prisma, supabase]) {
      await store.delete(usersEntity, ownerId).catch(() => undefined);
      await store.close();
    }
  });

  it('refuses a create at once when a store holds maxPending rows; the refused row is on no store', async () => {
    const slowA = held(prisma);
    const batcher = new InsertBatcher({ maxPending: 3 });
    const admitted = [budget('admitted 1'), budget('admitted 2'), budget('admitted 3')];
    const writes = admitted.map((row) => toBoth(batcher, slowA.store, supabase, row));
    // B answers; A keeps its batch.
    await eventually(async () => (batcher.pendingFor(supabase) === 0 ? true : undefined));
    expect(batcher.pendingFor(slowA.store)).toBe(3);

    const refusedRow = budget('refused');
    const refused = await toBoth(batcher, slowA.store, supabase, refusedRow);

    expect(refused).toEqual([
      { status: 'rejected', reason: expect.any(BackpressureError) },
      { status: 'rejected', reason: expect.any(BackpressureError) },
    ]);
    expect((refused[0] as PromiseRejectedResult).reason).toMatchObject({
      store: 'prisma',
      kind: 'unavailable',
      code: 'BACKPRESSURE',
      pending: 3,
      maxPending: 3,
      retryAfterMs: 1_000,
      message: '[prisma] 3 creates already waiting for this store (at most 3); refused before reaching any store, retry in 1 s',
    });
    slowA.release();
    for (const outcome of (await Promise.all(writes)).flat()) expect(outcome.status).toBe('fulfilled');
    await expect(onEachStore(refusedRow)).resolves.toEqual([null, null]);
    for (const row of admitted) expect((await onEachStore(row)).map((stored) => stored?.['name'])).toEqual([row['name'], row['name']]);
    expect(batcher.pendingFor(slowA.store)).toBe(0);
  });

  it('admits again once the held batch is back', async () => {
    const slowA = held(prisma);
    const batcher = new InsertBatcher({ maxPending: 1 });
    const first = batcher.insert(slowA.store, budgetsEntity, budget('first'));
    await expect(batcher.insert(slowA.store, budgetsEntity, budget('too many'))).rejects.toBeInstanceOf(BackpressureError);

    slowA.release();
    await first;
    const later = budget('later');

    await expect(batcher.insert(slowA.store, budgetsEntity, later)).resolves.toMatchObject({ id: later['id'] });
  });

  it('never refuses on one store a create another store admitted: no create is half-written', async () => {
    const slowA = held(prisma);
    const batcher = new InsertBatcher({ maxPending: 2 });
    const first = batcher.insert(slowA.store, budgetsEntity, budget('on A'));
    const straddling = budget('admitted on B first');
    const onB = batcher.insert(supabase, budgetsEntity, straddling);
    // Meanwhile A fills up: the row B admitted must still go to A.
    const filler = batcher.insert(slowA.store, budgetsEntity, budget('fills A'));
    const onA = batcher.insert(slowA.store, budgetsEntity, straddling);
    expect(batcher.pendingFor(slowA.store)).toBe(3);

    slowA.release();
    await Promise.all([first, filler, onB, onA]);

    expect((await onEachStore(straddling)).map((stored) => stored?.['id'])).toEqual([straddling['id'], straddling['id']]);
  });

  it('a refusal does not count towards the store\'s breaker: the store did not fail', async () => {
    const slowA = held(prisma);
    const batcher = new InsertBatcher({ maxPending: 1 });
    const breakers = new StoreBreakers({ settings: { failureThreshold: 1 } });
    const first = breakers.execute('prisma', () => batcher.insert(slowA.store, budgetsEntity, budget('held')));

    await expect(breakers.execute('prisma', () => batcher.insert(slowA.store, budgetsEntity, budget('refused')))).rejects.toBeInstanceOf(BackpressureError);

    expect(breakers.state('prisma')).toMatchObject({ state: 'closed', failures: 0 });
    slowA.release();
    await first;
  });
});

describe('InsertBatcher with the store unavailable', () => {
  it('every caller of the batch gets the unavailable error, without a retry per row', async () => {
    const down = new SupabaseStore({ ...supabaseTestSettings(), ...unreachableSupabase, requestTimeoutMs: 1_000 });
    try {
      const { store: watched, calls } = counted(down);
      const batcher = new InsertBatcher();
      const rows = Array.from({ length: 5 }, () => ({ id: uuidv7(), ownerId: uuidv7(), name: 'x', amount: '1.00', currency: 'EUR', metadata: {} }));

      const outcomes = await Promise.allSettled(rows.map((row) => batcher.insert(watched, budgetsEntity, row)));

      for (const outcome of outcomes) {
        expect(outcome).toMatchObject({ status: 'rejected', reason: expect.any(StoreUnavailableError) });
      }
      expect(calls).toEqual({ insert: 0, insertMany: [5] });
    } finally {
      await down.close();
    }
  });
});

describe('InsertBatcher settings', () => {
  it('refuses a batch size, concurrency or queue bound that is not a positive integer', () => {
    expect(() => new InsertBatcher({ maxBatchSize: 0 })).toThrow('maxBatchSize must be a positive integer, got 0');
    expect(() => new InsertBatcher({ batchesInFlight: 1.5 })).toThrow('batchesInFlight must be a positive integer, got 1.5');
    expect(() => new InsertBatcher({ maxPending: 0 })).toThrow('maxPending must be a positive integer, got 0');
  });
});
