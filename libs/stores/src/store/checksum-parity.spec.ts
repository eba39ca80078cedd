import { budgetsEntity, createPrismaClient, postsEntity, usersEntity } from '@dualwrite/example-domain';
import type { EntityDefinition, Row } from '../entity/entity.types';
import { checksumOfRows } from './canonical-row';
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
  const user: Row = { id: ownerId, email: `${ownerId}@parity.test`, displayName: 'Parity', createdAt, updatedAt: createdAt };
  const budgets: Row[] = [1, 2, 3].map((n) => ({
    id: keys.id(),
    ownerId,
    name: `Budget ${n}`,
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
    prisma = new PrismaStore(createPrismaClient(process.env['PRIMARY_DATABASE_URL'] ?? ''), { ownsClient: true });
    supabaseSql = new SupabaseStore(settings);
    supabaseRest = new SupabaseStore({ url: settings.url, serviceRoleKey: settings.serviceRoleKey });
    for (const store of [prisma, supabaseSql]) {
      await store.insert(usersEntity, user);
      await store.batchUpsert(budgetsEntity, budgets);
      await store.batchUpsert(postsEntity, posts);
    }
  });

  afterAll(async () => {
    for (const store of [prisma, supabaseSql]) await store.delete(usersEntity, ownerId).catch(() => undefined);
    await Promise.all([prisma.close(), supabaseSql.close(), supabaseRest.close()]);
  });

  async function streamed(store: StorePlugin, entity: EntityDefinition): Promise<Row[]> {
    const rows: Row[] = [];
    for await (const row of store.stream(entity, { range: keys.range, batchSize: 2 })) rows.push(row);
    return rows;
  }

  it.each([
    ['budgets', budgetsEntity, 3],
    ['posts', postsEntity, 2],
  ] as const)('%s: Prisma SQL, Supabase SQL and Supabase REST give one digest', async (_name, entity, count) => {
    const fromPrisma = await prisma.checksum(entity, keys.range);
    const fromSupabaseSql = await supabaseSql.checksum(entity, keys.range);
    const fromSupabaseRest = await supabaseRest.checksum(entity, keys.range);

    expect(fromPrisma.count).toBe(count);
    expect(fromSupabaseSql).toEqual(fromPrisma);
    expect(fromSupabaseRest).toEqual(fromPrisma);
  });

  it('the JavaScript digest over rows streamed from Prisma equals the SQL digest', async () => {
    const rows = await streamed(prisma, budgetsEntity);
    expect(checksumOfRows(budgetsEntity, rows)).toEqual(await prisma.checksum(budgetsEntity, keys.range));
  });

  it('both stores return equal canonical rows for the same data', async () => {
    expect(await streamed(supabaseSql, budgetsEntity)).toEqual(await streamed(prisma, budgetsEntity));
    expect(await streamed(supabaseRest, budgetsEntity)).toEqual(await streamed(prisma, budgetsEntity));
  });

  it('a change on one store shows as a checksum difference', async () => {
    await supabaseSql.update(budgetsEntity, String(budgets[0]['id']), { amount: '999' });
    try {
      const fromPrisma = await prisma.checksum(budgetsEntity, keys.range);
      const fromSupabase = await supabaseSql.checksum(budgetsEntity, keys.range);
      expect(fromSupabase.count).toBe(fromPrisma.count);
      expect(fromSupabase.checksum).not.toBe(fromPrisma.checksum);
    } finally {
      await supabaseSql.update(budgetsEntity, String(budgets[0]['id']), { amount: budgets[0]['amount'] });
    }
  });
});
