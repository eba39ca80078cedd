import fc from 'fast-check';
import type { Row } from '../entity/entity.types';
import { isStoreError } from '../store/store-errors';
import { contractFixtureSchema, contractItems, contractOwners } from './contract-fixtures';
import { InMemoryStore } from './in-memory-store';

/**
 * The store is fit for interleaving tests: concurrent writes to a few keys, their requests and responses
 * released by fast-check's scheduler in random orders, always leave the store, and every caller's answer,
 * consistent with some serial order of the calls (a model check of the store against a plain model).
 * Replay a failure with FC_SEED=<seed> (fast-check prints the seed and path of the counterexample).
 */

const SEED = Number(process.env['FC_SEED'] ?? 20261201);
const OWNER_IDS = ['00000000-0000-4000-8000-0000000000a0', '00000000-0000-4000-8000-0000000000a1'];
const ITEM_IDS = ['00000000-0000-4000-8000-0000000000b0', '00000000-0000-4000-8000-0000000000b1', '00000000-0000-4000-8000-0000000000b2'];

interface ItemWrite {
  item: number;
  owner: number;
  amount: number;
}

type Op =
  | { kind: 'insertOwner' | 'deleteOwner'; owner: number }
  | ({ kind: 'insertItem' | 'upsertItem' } & ItemWrite)
  | { kind: 'updateItem'; item: number; amount: number }
  | { kind: 'deleteItem'; item: number }
  | { kind: 'insertManyItems' | 'batchUpsertItems'; writes: ItemWrite[] };

interface ModelState {
  owners: ReadonlySet<number>;
  items: ReadonlyMap<number, { owner: number; amount: number }>;
}

type ErrorKind = 'conflict' | 'not_found' | 'invalid';

class ModelError extends Error {
  constructor(readonly kind: ErrorKind) {
    super(kind);
  }
}

// ---------------------------------------------------------------------------------------------
// The model: what one call does on its own, in plain data; the answer as text.

function itemText(item: number, state: ModelState): string {
  const { owner, amount } = state.items.get(item)!;
  return `item ${item} of ${owner}: ${amount}`;
}

function writeItem(state: ModelState, { item, owner, amount }: ItemWrite, mode: 'insert' | 'upsert' | 'update'): ModelState {
  const existing = state.items.get(item);
  if (existing && mode === 'insert') throw new ModelError('conflict');
  if (!existing && mode === 'update') throw new ModelError('not_found');
  if (!state.owners.has(owner)) throw new ModelError('invalid');
  return { owners: state.owners, items: new Map(state.items).set(item, { owner, amount }) };
}

function applyOp(state: ModelState, op: Op): { state: ModelState; answer: string } {
  switch (op.kind) {
    case 'insertOwner':
      if (state.owners.has(op.owner)) throw new ModelError('conflict');
      return { state: { owners: new Set(state.owners).add(op.owner), items: state.items }, answer: `owner ${op.owner}` };
    case 'deleteOwner': {
      if (!state.owners.has(op.owner)) throw new ModelError('not_found');
      const owners = new Set(state.owners);
      owners.delete(op.owner);
      const items = new Map([...state.items].filter(([, item]) => item.owner !== op.owner));
      return { state: { owners, items }, answer: `owner ${op.owner}` };
    }
    case 'insertItem':
    case 'upsertItem': {
      const next = writeItem(state, op, op.kind === 'insertItem' ? 'insert' : 'upsert');
      return { state: next, answer: itemText(op.item, next) };
    }
    case 'updateItem': {
      const existing = state.items.get(op.item);
      const next = writeItem(state, { item: op.item, owner: existing?.owner ?? -1, amount: op.amount }, 'update');
      return { state: next, answer: itemText(op.item, next) };
    }
    case 'deleteItem': {
      if (!state.items.has(op.item)) throw new ModelError('not_found');
      const answer = itemText(op.item, state);
      const items = new Map(state.items);
      items.delete(op.item);
      return { state: { owners: state.owners, items }, answer };
    }
    case 'insertManyItems':
    case 'batchUpsertItems': {
      const mode = op.kind === 'insertManyItems' ? 'insert' : 'upsert';
      const next = op.writes.reduce((current, write) => writeItem(current, write, mode), state);
      const answer =
        mode === 'insert' ? op.writes.map((write) => itemText(write.item, next)).sort().join(' | ') : `${op.writes.length} rows`;
      return { state: next, answer };
    }
  }
}

function modelAnswer(state: ModelState, op: Op): { state: ModelState; answer: string } {
  try {
    return applyOp(state, op);
  } catch (error) {
    if (error instanceof ModelError) return { state, answer: `error ${error.kind}` };
    throw error;
  }
}

function stateText(state: ModelState): string {
  const owners = [...state.owners].sort().join(',');
  const items = [...state.items.keys()].sort().map((item) => itemText(item, state));
  return `owners ${owners}; ${items.join('; ')}`;
}

/** A serial order of the calls under which the model gives every answer seen and ends in the state seen; null when none does. */
function serialOrder(initial: ModelState, ops: Op[], answers: string[], finalState: string): number[] | null {
  const search = (state: ModelState, left: number[], order: number[]): number[] | null => {
    if (left.length === 0) return stateText(state) === finalState ? order : null;
    for (const index of left) {
      const step = modelAnswer(state, ops[index]);
      if (step.answer !== answers[index]) continue;
      const found = search(step.state, left.filter((other) => other !== index), [...order, index]);
      if (found) return found;
    }
    return null;
  };
  return search(initial, ops.map((_, index) => index), []);
}

// ---------------------------------------------------------------------------------------------
// The store under the scheduler

function itemRow({ item, owner, amount }: ItemWrite): Row {
  return { id: ITEM_IDS[item], ownerId: OWNER_IDS[owner], name: `item ${item}`, amount: String(amount), currency: 'EUR' };
}

function ownerRow(owner: number): Row {
  return { id: OWNER_IDS[owner], email: `owner${owner}@interleavings.test`, displayName: `Owner ${owner}` };
}

/** Owner and item rows in the model's terms (indexes into OWNER_IDS and ITEM_IDS, integer amounts). */
function storeState(rows: { owners?: Row[]; items: Row[] }): ModelState {
  return {
    owners: new Set((rows.owners ?? []).map((row) => OWNER_IDS.indexOf(String(row['id'])))),
    items: new Map(
      rows.items.map((row) => [
        ITEM_IDS.indexOf(String(row['id'])),
        { owner: OWNER_IDS.indexOf(String(row['ownerId'])), amount: Number(row['amount']) },
      ]),
    ),
  };
}

function itemAnswer(row: Row): string {
  return itemText(ITEM_IDS.indexOf(String(row['id'])), storeState({ items: [row] }));
}

function ownerAnswer(row: Row): string {
  return `owner ${OWNER_IDS.indexOf(String(row['id']))}`;
}

/** The store's answer in the model's words. */
async function storeAnswer(store: InMemoryStore, op: Op): Promise<string> {
  try {
    switch (op.kind) {
      case 'insertOwner':
        return ownerAnswer(await store.insert(contractOwners, ownerRow(op.owner)));
      case 'deleteOwner':
        return ownerAnswer(await store.delete(contractOwners, OWNER_IDS[op.owner]));
      case 'insertItem':
        return itemAnswer(await store.insert(contractItems, itemRow(op)));
      case 'upsertItem':
        return itemAnswer(await store.upsert(contractItems, itemRow(op)));
      case 'updateItem':
        return itemAnswer(await store.update(contractItems, ITEM_IDS[op.item], { amount: String(op.amount) }));
      case 'deleteItem':
        return itemAnswer(await store.delete(contractItems, ITEM_IDS[op.item]));
      case 'insertManyItems':
        return (await store.insertMany(contractItems, op.writes.map(itemRow))).map(itemAnswer).sort().join(' | ');
      case 'batchUpsertItems':
        return `${await store.batchUpsert(contractItems, op.writes.map(itemRow))} rows`;
    }
  } catch (error) {
    if (isStoreError(error) && error.kind !== 'unavailable') return `error ${error.kind}`;
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------
// Arbitraries

const ownerArb = fc.nat(OWNER_IDS.length - 1);
const itemArb = fc.nat(ITEM_IDS.length - 1);
const amountArb = fc.integer({ min: 1, max: 99 });
const itemWriteArb = fc.record({ item: itemArb, owner: ownerArb, amount: amountArb });

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constantFrom('insertOwner' as const, 'deleteOwner' as const), owner: ownerArb }),
  fc.record({ kind: fc.constantFrom('insertItem' as const, 'upsertItem' as const), item: itemArb, owner: ownerArb, amount: amountArb }),
  fc.record({ kind: fc.constant('updateItem' as const), item: itemArb, amount: amountArb }),
  fc.record({ kind: fc.constant('deleteItem' as const), item: itemArb }),
  fc.record({
    kind: fc.constantFrom('insertManyItems' as const, 'batchUpsertItems' as const),
    writes: fc.array(itemWriteArb, { minLength: 1, maxLength: 3 }),
  }),
);

const initialArb: fc.Arbitrary<ModelState> = fc
  .record({ owners: fc.subarray([0, 1]), items: fc.array(itemWriteArb, { maxLength: 3 }) })
  .map(({ owners, items }) => ({
    owners: new Set(owners),
    items: new Map(items.filter((write) => owners.includes(write.owner)).map((write) => [write.item, { owner: write.owner, amount: write.amount }])),
  }));

describe('InMemoryStore under fast-check scheduling', () => {
  it('concurrent writes always leave the store and every answer consistent with some serial order', async () => {
    await fc.assert(
      fc.asyncProperty(initialArb, fc.array(opArb, { minLength: 1, maxLength: 6 }), fc.scheduler(), async (initial, ops, scheduler) => {
        const store = new InMemoryStore({ schema: contractFixtureSchema });
        for (const owner of initial.owners) await store.insert(contractOwners, ownerRow(owner));
        for (const [item, { owner, amount }] of initial.items) await store.insert(contractItems, itemRow({ item, owner, amount }));
        // Every call waits twice for the scheduler: before it takes effect and before its caller hears back.
        store.setGate((call) => scheduler.schedule(Promise.resolve(), `${call.method} ${call.phase}`));

        const answers = await scheduler.waitFor(Promise.all(ops.map((op) => storeAnswer(store, op))));

        const finalState = stateText(storeState({ owners: store.peek(contractOwners), items: store.peek(contractItems) }));
        if (serialOrder(initial, ops, answers, finalState) === null) {
          throw new Error(`No serial order explains the answers ${JSON.stringify(answers)} and the final state ${finalState}`);
        }
      }),
      { seed: SEED, numRuns: 300 },
    );
  });
});
