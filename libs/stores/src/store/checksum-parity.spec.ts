import type { EntityDefinition, Row } from '../entity/entity.types';
import { checksumOfRows } from './canonical-row';
import { contractItems, contractOwners, contractPosts } from '../testing/contract-fixtures';
import { createFixturePrismaClient } from '../testing/fixture-prisma-client';
import { RunKeys } from '../testing/run-keys';
import { PrismaStore } from '../prisma/prisma-store';
import type { StorePlugin } from './store.types';
import { SupabaseStore } from '../supabase/supabase-store';
import { supabaseTestSettings } from '../testing/supabase-test-env';

/** The same rows written to both stores must checksum the same on each, however the digest is computed. */
describe('range checksums across stores', () => {
  const keys = new RunKeys();
  const createdAt = new Date('2026-03-04T05:06:07.089Z');
  const ownerId = keys.id();
  const owner: Row = { id: ownerId, email: `${ownerId}@parity.test`, displayName: 'Parity', createdAt, updatedAt: createdAt };
  const items: Row[] = [1, 2, 3].map((n) => ({
    id: keys.id(),
    ownerId,
    name: `Item ${n}`,
    amount: n === 2 ? '0.10' : `${n * 1000}.5`,
    currency: 'EUR',
    metadata: { n, tags: ['a', 'b'], limits: { weekly: n * 10, strict: n % 2 === 0 }, note: null },
    createdAt,
    updatedAt: new Date(createdAt.getTime() + n),
  }));
  const posts: Row[] = [true, false].map((published) => ({
    id: keys.id(),
    authorId: ownerId,
    title: `Post ${published}`,
    body: 'Body with ünicode and "quotes"',
    published,
    createdAt,
    updatedAt: createdAt,
  }));

  let prisma: PrismaStore;
  let supabaseSql: SupabaseStore;
  let supabaseRest: SupabaseStore;

  beforeAll(async () => {
    const settings = supabaseTestSettings();
    prisma = new PrismaStore(createFixturePrismaClient(process.env['PRIMARY_DATABASE_URL'] ?? ''), { ownsClient: true });
    supabaseSql = new SupabaseStore(settings);
    supabaseRest = new SupabaseStore({ url: settings.url, serviceRoleKey: settings.serviceRoleKey });
    for (const store of [prisma, supabaseSql]) {
      await store.insert(contractOwners, owner);
      await store.batchUpsert(contractItems, items);
      await store.batchUpsert(contractPosts, posts);
    }
  });

  afterAll(async () => {
    for (const store of [prisma, supabaseSql]) await store.delete(contractOwners, ownerId).catch(() => undefined);
    await Promise.all([prisma.close(), supabaseSql.close(), supabaseRest.close()]);
  });

  async function streamed(store: StorePlugin, entity: EntityDefinition): Promise<Row[]> {
    const rows: Row[] = [];
    for await (const row of store.stream(entity, { range: keys.range, batchSize: 2 })) rows.push(row);
    return rows;
  }

  it.each([
    ['contract_items', contractItems, 3],
    ['contract_posts', contractPosts, 2],
  ] as const)('%s: Prisma SQL, Supabase SQL and Supabase REST give one digest', async (_name, entity, count) => {
    const fromPrisma = await prisma.checksum(entity, keys.range);
    const fromSupabaseSql = await supabaseSql.checksum(entity, keys.range);
    const fromSupabaseRest = await supabaseRest.checksum(entity, keys.range);

    expect(fromPrisma.count).toBe(count);
    expect(fromSupabaseSql).toEqual(fromPrisma);
    expect(fromSupabaseRest).toEqual(fromPrisma);
  });

  it('the JavaScript digest over rows streamed from Prisma equals the SQL digest', async () => {
    const rows = await streamed(prisma, contractItems);
    expect(checksumOfRows(contractItems, rows)).toEqual(await prisma.checksum(contractItems, keys.range));
  });

  it('both stores return equal canonical rows for the same data', async () => {
    expect(await streamed(supabaseSql, contractItems)).toEqual(await streamed(prisma, contractItems));
    expect(await streamed(supabaseRest, contractItems)).toEqual(await streamed(prisma, contractItems));
  });

  it('a change on one store shows as a checksum difference', async () => {
    await supabaseSql.update(contractItems, String(items[0]['id']), { amount: '999' });
    try {
      const fromPrisma = await prisma.checksum(contractItems, keys.range);
      const fromSupabase = await supabaseSql.checksum(contractItems, keys.range);
      expect(fromSupabase.count).toBe(fromPrisma.count);
      expect(fromSupabase.checksum).not.toBe(fromPrisma.checksum);
    } finally {
      await supabaseSql.update(contractItems, String(items[0]['id']), { amount: items[0]['amount'] });
    }
  });
});
