import type { EntityDefinition, Row } from '../entity/entity.types';
import { StoreConflictError, StoreInvalidError, StoreUnavailableError } from '../store/store-errors';
import { contractFixtureSchema, contractItems, contractNotes, contractOwners, contractPosts } from './contract-fixtures';
import { InMemoryStore, type InMemoryStoreCall } from './in-memory-store';
import { RunKeys } from './run-keys';
import { describeStoreContract } from './store-contract.suite';

describeStoreContract('InMemoryStore', async () => ({
  store: new InMemoryStore({ schema: contractFixtureSchema }),
  createUnavailableStore: () => {
    const unreachable = new InMemoryStore({ name: 'memory-down', schema: contractFixtureSchema });
    unreachable.setAvailable(false);
    return unreachable;
  },
}));

describe('InMemoryStore beyond the contract', () => {
  const keys = new RunKeys();

  function owner(id: string = keys.id()): Row {
    return { id, email: `${id}@memory.test`, displayName: 'Owner' };
  }

  function item(ownerId: string, id: string = keys.id()): Row {
    return { id, ownerId, name: 'Item', amount: '1.50', currency: 'EUR', metadata: { tags: ['a'] } };
  }

  async function ownerWithEverything(store: InMemoryStore): Promise<{ ownerId: string; postId: string }> {
    const { id: ownerId } = await store.insert(contractOwners, owner());
    await store.insert(contractItems, item(String(ownerId)));
    const { id: postId } = await store.insert(contractPosts, { id: keys.id(), authorId: ownerId, title: 'T', body: 'B' });
    await store.insert(contractNotes, { postId, authorId: ownerId, body: 'note' });
    return { ownerId: String(ownerId), postId: String(postId) };
  }

  it('copies values on the way in and on the way out', async () => {
    const store = new InMemoryStore({ schema: contractFixtureSchema });
    const { id: ownerId } = await store.insert(contractOwners, owner());
    const sent = item(String(ownerId));

    const pending = store.insert(contractItems, sent);
    (sent['metadata'] as { tags: string[] }).tags.push('changed after the call');
    const returned = await pending;
    (returned['metadata'] as { tags: string[] }).tags.push('changed by the caller');
    (returned['createdAt'] as Date).setTime(0);

    const stored = await store.get(contractItems, String(sent['id']));
    expect(stored?.['metadata']).toEqual({ tags: ['a'] });
    expect((stored?.['createdAt'] as Date).getTime()).not.toBe(0);
  });

  it('deleting an owner cascades to its items, posts and their notes in one statement', async () => {
    const store = new InMemoryStore({ schema: contractFixtureSchema });
    const { ownerId } = await ownerWithEverything(store);
    const other = await ownerWithEverything(store);

    await store.delete(contractOwners, ownerId);

    for (const entity of [contractOwners, contractItems, contractPosts, contractNotes]) {
      expect(store.peek(entity)).toHaveLength(1);
    }
    expect(store.peek(contractNotes)[0]).toMatchObject({ postId: other.postId });
  });

  it('a foreign key without cascade refuses the parent delete and deletes nothing; set null clears nullable children', async () => {
    const nullableItems: EntityDefinition = {
      ...contractItems,
      fields: { ...contractItems.fields, ownerId: { ...contractItems.fields['ownerId'], nullable: true } },
    };
    const refusing = new InMemoryStore({
      schema: { foreignKeys: [{ entity: contractItems.name, field: 'ownerId', references: { entity: contractOwners.name, field: 'id' } }] },
    });
    const clearing = new InMemoryStore({
      schema: { foreignKeys: [{ ...contractFixtureSchema.foreignKeys![0], onDelete: 'set null' }], defaults: contractFixtureSchema.defaults },
    });
    for (const store of [refusing, clearing]) {
      const { id: ownerId } = await store.insert(contractOwners, owner());
      await store.insert(nullableItems, item(String(ownerId)));
    }

    await expect(refusing.delete(contractOwners, String(refusing.peek(contractOwners)[0]['id']))).rejects.toBeInstanceOf(StoreInvalidError);
    await clearing.delete(contractOwners, String(clearing.peek(contractOwners)[0]['id']));

    expect(refusing.peek(contractOwners)).toHaveLength(1);
    expect(clearing.peek(contractOwners)).toHaveLength(0);
    expect(clearing.peek(contractItems)).toEqual([expect.objectContaining({ ownerId: null })]);
  });

  it('a unique field refuses a second row with the same value', async () => {
    const store = new InMemoryStore({ schema: contractFixtureSchema });
    const first = await store.insert(contractOwners, owner());

    await expect(store.insert(contractOwners, { ...owner(), email: first['email'] })).rejects.toBeInstanceOf(StoreConflictError);
  });

  it('the sequence is used up by failed inserts and not moved by explicit keys, as in PostgreSQL', async () => {
    const store = new InMemoryStore({ schema: contractFixtureSchema });
    const { ownerId, postId } = await ownerWithEverything(store); // note 1
    const note = { postId, authorId: ownerId, body: 'n' };

    await expect(store.insert(contractNotes, { ...note, postId: keys.id() })).rejects.toBeInstanceOf(StoreInvalidError); // uses 2
    await store.insert(contractNotes, { ...note, id: 4 });
    await expect(store.insert(contractNotes, note)).resolves.toMatchObject({ id: 3 });
    await expect(store.insert(contractNotes, note)).rejects.toBeInstanceOf(StoreConflictError); // 4 was taken
    await store.insert(contractNotes, { ...note, id: 10 });

    const page = await store.page(contractNotes, { limit: 10 });
    expect(page.rows.map((row) => row['id'])).toEqual([1, 3, 4, 10]);
  });

  it('keys are canonical whatever form PostgreSQL accepts them in', async () => {
    const store = new InMemoryStore({ schema: contractFixtureSchema });
    const id = keys.id();
    await store.insert(contractOwners, owner(`{${id.toUpperCase()}}`));

    await expect(store.get(contractOwners, id.replace(/-/g, ''))).resolves.toMatchObject({ id });
  });

  it('unavailable: every call fails with unavailable until switched back on; after close every call fails', async () => {
    const store = new InMemoryStore({ schema: contractFixtureSchema });
    const { ownerId } = await ownerWithEverything(store);
    store.setAvailable(false);

    const calls: Promise<unknown>[] = [
      store.get(contractOwners, ownerId),
      store.insert(contractOwners, owner()),
      store.update(contractOwners, ownerId, { displayName: 'x' }),
      store.delete(contractOwners, ownerId),
      store.page(contractOwners, { limit: 1 }),
      store.checksum(contractOwners),
      store.keepSequenceAbove(contractNotes, 5),
      (async () => {
        for await (const row of store.stream(contractOwners)) return row;
      })(),
    ];
    for (const call of calls) await expect(call).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(store.ping()).resolves.toMatchObject({ ok: false });

    store.setAvailable(true);
    await expect(store.count(contractOwners)).resolves.toBe(1);
    await store.close();
    await expect(store.count(contractOwners)).rejects.toBeInstanceOf(StoreUnavailableError);
  });

  it('the gate sees each call before and after it takes effect; a failure after it is a lost answer', async () => {
    const seen: InMemoryStoreCall[] = [];
    let failPhase: InMemoryStoreCall['phase'] | undefined;
    const store = new InMemoryStore({
      name: 'gated',
      schema: contractFixtureSchema,
      gate: (call) => {
        seen.push(call);
        if (call.phase === failPhase) throw new Error(`dropped at ${call.phase}`);
      },
    });
    const first = owner();
    const second = owner();

    await store.insert(contractOwners, first);
    failPhase = 'request';
    const refused = await store.insert(contractOwners, second).catch((error: unknown) => error);
    failPhase = 'response';
    const lost = await store.insert(contractOwners, second).catch((error: unknown) => error);

    expect(seen.slice(0, 2)).toEqual([
      { store: 'gated', method: 'insert', entity: contractOwners.name, phase: 'request' },
      { store: 'gated', method: 'insert', entity: contractOwners.name, phase: 'response' },
    ]);
    expect(refused).toBeInstanceOf(StoreUnavailableError);
    expect(lost).toBeInstanceOf(StoreUnavailableError);
    expect(store.peek(contractOwners).map((row) => row['id']).sort()).toEqual([first['id'], second['id']].sort());
  });
});
