import type { EntityDefinition, Row, RowKey } from '@dualwrite/stores';
import { InMemoryStore, contractFixtureSchema, contractItems, contractOwners, contractPosts } from '@dualwrite/stores/testing';
import { SEED_TAG } from './history';
import type { DualWriteEngine } from '../../src/engine/dual-write-engine';
import type { Program, WriteCommand } from './program';

/** The fixed rows every run starts from: one owner, one post for the notes, two item keys. */
export const OWNER_ID = '00000000-0000-4000-8000-00000000a0a0';
export const POST_ID = '00000000-0000-4000-8000-00000000b0b0';
export const ITEM_IDS = ['00000000-0000-4000-8000-0000000000c0', '00000000-0000-4000-8000-0000000000c1'];

/** A write command as an api process makes it: the engine's call with the command's row or patch. */
export async function callEngine(engine: DualWriteEngine, command: WriteCommand, opId: string, tag: string, entity: EntityDefinition, key: RowKey | undefined): Promise<Row> {
  const request = { entity: entity.name, opId, endpoint: 'interleavings' };
  const amount = `${tag.slice(1)}.50`;
  if (command.kind === 'item') {
    const row = { id: key, ownerId: OWNER_ID, name: tag, amount, currency: 'EUR' };
    switch (command.op) {
      case 'create':
        return (await engine.create(request, row)).data;
      case 'update':
        return (await engine.update(request, key as RowKey, { name: tag, amount })).data;
      case 'upsert':
        return (await engine.upsert(request, row)).data;
      case 'delete':
        return (await engine.delete(request, key as RowKey)).data;
    }
  }
  switch (command.op) {
    case 'create':
      return (await engine.create(request, { postId: POST_ID, authorId: OWNER_ID, body: tag })).data;
    case 'update':
      return (await engine.update(request, key as RowKey, { body: tag })).data;
    case 'delete':
      return (await engine.delete(request, key as RowKey)).data;
  }
}

/** A store of the run, named like a real one, holding the contract fixtures' tables. */
export function fixtureStore(name: string): InMemoryStore {
  return new InMemoryStore({ name, schema: contractFixtureSchema });
}

/** The rows every run starts from, the same on both stores: the owner, the post, and item0 when the program says. */
export async function seedFixtures(stores: { a: InMemoryStore; b: InMemoryStore }, program: Program): Promise<void> {
  const rows: [EntityDefinition, Row][] = [
    [contractOwners, { id: OWNER_ID, email: 'owner@interleavings.test', displayName: 'Owner' }],
    [contractPosts, { id: POST_ID, authorId: OWNER_ID, title: 'post', body: 'notes belong here' }],
  ];
  if (program.initial.item0) rows.push([contractItems, { id: ITEM_IDS[0], ownerId: OWNER_ID, name: SEED_TAG, amount: '0.50', currency: 'EUR' }]);
  const at = new Date();
  for (const [entity, row] of rows) {
    const stamped = { ...row, createdAt: at, updatedAt: at };
    await stores.a.insert(entity, stamped);
    await stores.b.insert(entity, stamped);
  }
}
