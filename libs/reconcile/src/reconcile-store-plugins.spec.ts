import {
  contractItems,
  contractOwners,
  createFixturePrismaClient,
  supabaseTestSettings,
} from '@dualwrite/stores/testing';
import { PrismaStore, SupabaseStore, type Row } from '@dualwrite/stores';
import { KeySlice } from '../test/key-slice';
import { Pool } from 'pg';
import { Reconciler } from './reconciler';
import { SqlTableReader } from './sql-table-reader';

/**
 * The same reconciliation through the real store plugins on the real stores: store A through Prisma (checksums
 * pushed down as SQL), store B through supabase-js and the local Supabase endpoint, once with its direct
 * database connection and once over REST only (keyset pages, the checksum computed in Node). Only this run's
 * slice of the key space is reconciled: other suites write to the same tables.
 */
describe('reconcile through PrismaStore and SupabaseStore', () => {
  const keys = new KeySlice();
  const ownerId = keys.id();
  const createdAt = new Date('2026-05-06T07:08:09.123Z');
  const items: Row[] = Array.from({ length: 30 }, (_, n) => ({
    id: keys.id(),
    ownerId,
    name: `Item ${n}`,
    amount: `${n}.50`,
    currency: 'EUR',
    metadata: { n, tags: ['x'] },
    createdAt,
    updatedAt: createdAt,
  }));
  let prisma: PrismaStore;
  let supabaseSql: SupabaseStore;
  let supabaseRest: SupabaseStore;
  let primaryPool: Pool;

  beforeAll(async () => {
    const settings = supabaseTestSettings();
    prisma = new PrismaStore(createFixturePrismaClient(process.env['PRIMARY_DATABASE_URL'] ?? ''), { ownsClient: true });
    supabaseSql = new SupabaseStore(settings);
    supabaseRest = new SupabaseStore({ url: settings.url, serviceRoleKey: settings.serviceRoleKey });
    primaryPool = new Pool({ connectionString: process.env['PRIMARY_DATABASE_URL'], max: 2 });
    const owner = { id: ownerId, email: `${ownerId}@reconcile.test`, displayName: 'Reconcile', createdAt, updatedAt: createdAt };
    for (const store of [prisma, supabaseSql]) {
      await store.insert(contractOwners, owner);
      await store.batchUpsert(contractItems, items);
    }
    // Drift: one row missing on each side, a changed amount and a changed json document on B.
    await supabaseSql.delete(contractItems, String(items[4]['id']));
    await prisma.delete(contractItems, String(items[9]['id']));
    await supabaseSql.update(contractItems, String(items[14]['id']), { amount: '99.99' });
    await supabaseSql.update(contractItems, String(items[19]['id']), { metadata: { n: 19, tags: ['y'] } });
  });

  afterAll(async () => {
    for (const store of [prisma, supabaseSql]) await store.delete(contractOwners, ownerId).catch(() => undefined);
    await Promise.all([prisma.close(), supabaseSql.close(), supabaseRest.close(), primaryPool.end()]);
  });

  const expected = () =>
    [
      `${items[4]['id']} missing_in_secondary -`,
      `${items[9]['id']} missing_in_primary -`,
      `${items[14]['id']} changed amount`,
      `${items[19]['id']} changed metadata`,
    ].sort();

  it.each([
    ['its direct database connection', () => supabaseSql],
    ['REST only', () => supabaseRest],
  ])('finds exactly the seeded drift with store B over %s', async (_how, secondary) => {
    const reconciler = new Reconciler({ entities: [contractItems], primary: prisma, secondary: secondary() });
    const run = await reconciler.run(['contract_items'], { range: keys.range, rowCompareLimit: 8 });
    const [result] = run.entities;
    expect(result.error).toBeUndefined();
    expect(result.counts).toEqual({ primary: 29, secondary: 29 });
    expect(result.findings.map(({ key, kind, field }) => `${key} ${kind} ${field ?? '-'}`).sort()).toEqual(expected());
    expect(result.differingFields.find((finding) => finding.field === 'amount')).toMatchObject({ primary: '14.5', secondary: '99.99', severity: 'error' });
  });

  it('bisects with boundaries from store A read over SQL while store B answers over REST (checksums in Node)', async () => {
    const primary = new SqlTableReader('prisma', primaryPool);
    const reconciler = new Reconciler({ entities: [contractItems], primary, secondary: supabaseRest });
    const run = await reconciler.run(['contract_items'], { range: keys.range, rowCompareLimit: 4, splitFactor: 8 });
    const [result] = run.entities;
    expect(result.findings.map(({ key, kind, field }) => `${key} ${kind} ${field ?? '-'}`).sort()).toEqual(expected());
    // 29 rows → 8 parts of ~4 cut at A's keys, one checksum call per part on each side (B's computed in Node
    // from REST pages); only parts with a difference go further, and at most the 4 holding one are read.
    expect(primary.queries.boundaries).toBeGreaterThanOrEqual(1);
    expect(result.work.segmentsVisited).toBeGreaterThan(8);
    expect(primary.queries.checksum).toBe(result.work.segmentsVisited);
    expect(result.work.segmentsComparedRowByRow).toBeLessThanOrEqual(4);
  });
});
