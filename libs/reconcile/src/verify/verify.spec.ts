import { randomBytes, randomUUID } from 'node:crypto';
import {
  DiffPolicy,
  DiffQueue,
  DualWriteEngine,
  FlagRepository,
  FlagService,
  KeySync,
  OperationLedger,
  ReplayQueue,
  StoreBreakers,
} from '@dualwrite/dual-write';
import { budgetsEntity, exampleEntities, usersEntity } from '@dualwrite/example-domain';
import { exampleTestDomain } from '@dualwrite/testing';
import { EntityRegistry, SupabaseStore, UnknownEntityError, type EntityDefinition, type RowKey } from '@dualwrite/stores';
import { BackfillGap, InvalidSinceError, parseSince } from './backfill-gap';
import { SqlChangedKeys, StoreScanChangedKeys } from './changed-keys';
import { ConsistencyCheck } from './consistency-check';
import { verifyCounts } from './count-verification';
import { DualWriteVerifier, InvalidWindowError } from './dual-write-verification';
import { InvalidEntityKeyError } from './entity-key';
import { OWNER_ID, VerifyScratchStores, budgetId, seedEqualRows } from './testing/verify-stores';

const redisUrl = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

/**
 * Verification and backfill on real PostgreSQL (store A through Prisma) and supabase-local (store B through
 * supabase-js), scratch databases of this suite, phase 2 flags (store A primary, dual writes on).
 */
describe('verification and backfill (real stores)', () => {
  const stores = new VerifyScratchStores(exampleTestDomain);
  let ledger: OperationLedger;

  beforeAll(async () => {
    await stores.start();
    ledger = new OperationLedger(stores.control);
    await new FlagRepository(stores.control).change({ next: { enableDualWrite: true, enableSupabasePrimary: false }, changedBy: 'verify spec', source: 'cli', reason: 'phase 2' });
  }, 120_000);

  afterAll(async () => {
    await stores.stop();
  });

  beforeEach(async () => {
    await Promise.all([seedEqualRows(stores.poolA, 20), seedEqualRows(stores.poolB, 20), stores.control.query('truncate dual_write_ops')]);
  });

  const dependencies = () => ({ entities: exampleEntities, stores: { a: stores.prisma, b: stores.supabase }, control: stores.control });
  const check = () => new ConsistencyCheck(dependencies());

  /** An op the secondary owes, as the engine leaves one whose sync failed. */
  function recordOwed(entity: string, key: string, operation: 'update' | 'delete' = 'update') {
    return ledger.recordOwed(
      { opId: randomUUID(), entity, operation, entityIds: [key], payload: {}, primaryStore: 'prisma', secondaryStore: 'supabase', mode: 'dual-primary-a' },
      null,
      'supabase unavailable',
    );
  }

  describe('validateDataConsistency', () => {
    it('finds a row equal on both stores consistent, with nothing to do', async () => {
      const report = await check().validate('budgets', budgetId(3));

      expect(report).toMatchObject({ entity: 'budgets', id: budgetId(3), mode: 'dual-primary-a', consistent: true, differences: [], recommendations: [] });
      expect(report.primary).toMatchObject({ store: 'prisma', row: { name: 'Budget 3', amount: '30' } });
      expect(report.secondary).toMatchObject({ store: 'supabase', row: { name: 'Budget 3', amount: '30' } });
    });

    it('a row missing on store B with an owed op: the recommendation names the op and says to wait for the replay', async () => {
      await stores.poolB.query('delete from budgets where id = $1', [budgetId(4)]);
      const owed = await recordOwed('budgets', budgetId(4));

      const report = await check().validate('budgets', budgetId(4));

      expect(report.consistent).toBe(false);
      expect(report.differences).toMatchObject([{ kind: 'missing_in_secondary', key: budgetId(4) }]);
      expect(report.ledger.owed.map((op) => op.opId)).toEqual([owed.opId]);
      expect(report.recommendations).toHaveLength(1);
      expect(report.recommendations[0]).toContain(`supabase lacks it and the ledger shows op ${owed.opId} (update, secondary_pending`);
      expect(report.recommendations[0]).toContain('wait for the replay');
    });

    it('a field changed behind the module\'s back: the difference names the field with both values, and the fix', async () => {
      await stores.poolB.query("update budgets set amount = 999.5 where id = $1", [budgetId(5)]);

      const report = await check().validate('budgets', budgetId(5));

      expect(report.consistent).toBe(false);
      expect(report.differences).toEqual([{ path: '$.amount', field: 'amount', key: budgetId(5), kind: 'changed', primary: '50', secondary: '999.5' }]);
      expect(report.recommendations).toEqual([
        expect.stringContaining('the stores differ in amount and no operation on budgets ' + budgetId(5) + ' is unsettled'),
      ]);
      expect(report.recommendations[0]).toContain('npm run backfill-gap -- --since=2025-12-31T23:59:00.000Z --entity=budgets');
    });

    it('a row missing on the primary with a delete recorded: the sync may delete it on store B', async () => {
      await stores.poolA.query('delete from budgets where id = $1', [budgetId(6)]);
      const { version } = await new FlagRepository(stores.control).read();
      const opId = randomUUID();
      await ledger.claim({ opId, entity: 'budgets', operation: 'delete', entityIds: [budgetId(6)], payload: {}, primaryStore: 'prisma', secondaryStore: 'supabase', flagVersion: version });
      await ledger.transition(opId, 'primary_wrote');
      await ledger.transition(opId, 'secondary_synced');

      const report = await check().validate('budgets', budgetId(6));

      expect(report.differences).toMatchObject([{ kind: 'missing_in_primary' }]);
      expect(report.recommendations[0]).toContain(`missing on the primary (prisma) with a delete recorded (op ${opId} (delete, applied`);
    });

    it('refuses an unknown entity, listing the valid ones, and a malformed key, before reading a store', async () => {
      await expect(check().validate('budget', budgetId(1))).rejects.toThrow(UnknownEntityError);
      await expect(check().validate('budget', budgetId(1))).rejects.toThrow('Known entities: users, budgets, posts, comments.');
      await expect(check().validate('budgets', 'not-a-uuid')).rejects.toThrow(new InvalidEntityKeyError('budgets', 'not-a-uuid', 'a uuid'));
      await expect(check().validate('comments', '12abc')).rejects.toThrow('"12abc" is not a comments key: expected a positive integer');
    });
  });

  describe('verifyCounts', () => {
    it('shows both stores\' counts side by side and is unequal when one differs', async () => {
      await stores.poolB.query('delete from budgets where id = $1', [budgetId(7)]);

      const result = await verifyCounts(dependencies());

      expect(result.equal).toBe(false);
      expect(result.entities.map((entity) => [entity.entity, entity.primary.count, entity.secondary.count, entity.equal])).toEqual([
        ['users', 1, 1, true],
        ['budgets', 20, 19, false],
        ['posts', 0, 0, true],
        ['comments', 0, 0, true],
      ]);
    });
  });

  describe('verify-dual-write', () => {
    it('checks every op of the window on both stores and finds a row changed behind the module\'s back', async () => {
      const suffix = randomBytes(4).toString('hex');
      const flags = new FlagService(new FlagRepository(stores.control), { redisUrl, cacheTtlMs: 0, redisKeyPrefix: `dw-verify-t-${suffix}:` });
      await flags.start();
      const replayQueue = new ReplayQueue({ redisUrl, queueName: `dw-replay-verify-t-${suffix}` });
      const diffQueue = new DiffQueue({ redisUrl, queueName: `dw-diffs-verify-t-${suffix}` });
      const engine = new DualWriteEngine({
        stores: { a: stores.prisma, b: stores.supabase },
        entities: new EntityRegistry(exampleEntities),
        flags,
        ledger,
        keySync: new KeySync({ pool: stores.control, ledger }),
        replayQueue,
        breakers: new StoreBreakers({ stores: ['prisma', 'supabase'] }),
        diffs: diffQueue,
        diffPolicy: new DiffPolicy(),
        secondaryTimeoutMs: 3_000,
      });
      try {
        const renamed = await engine.update({ entity: 'budgets' }, budgetId(8), { name: 'renamed through the engine' });
        const created = await engine.create({ entity: 'budgets' }, { ownerId: OWNER_ID, name: 'created through the engine', amount: '1.00', currency: 'EUR' });
        await engine.drain();
        const owed = await recordOwed('budgets', budgetId(9));
        const verifier = new DualWriteVerifier(dependencies());

        const clean = await verifier.verify(5);
        expect(clean).toMatchObject({ operations: 3, singleStoreOperations: 0, keysChecked: 2, mismatches: [], equal: true });
        expect(clean.notApplied.map((op) => [op.opId, op.status])).toEqual([[owed.opId, 'secondary_pending']]);

        await stores.poolB.query("update budgets set name = 'changed on B by hand' where id = $1", [budgetId(8)]);
        const drifted = await verifier.verify(5);

        expect(drifted.equal).toBe(false);
        expect(drifted.mismatches).toEqual([
          {
            entity: 'budgets',
            key: budgetId(8),
            opIds: [renamed.opId],
            differences: [expect.objectContaining({ field: 'name', primary: 'renamed through the engine', secondary: 'changed on B by hand' })],
          },
        ]);
        expect(created.opId).toBeDefined();
      } finally {
        await engine.drain();
        await Promise.allSettled([flags.close(), replayQueue.obliterate().then(() => replayQueue.close()), diffQueue.close()]);
      }
    });

    it('does not compare an op written in a single-store phase (no secondary was meant to hold it)', async () => {
      const { version } = await new FlagRepository(stores.control).read();
      const opId = randomUUID();
      await ledger.claim({ opId, entity: 'budgets', operation: 'update', entityIds: [budgetId(13)], payload: {}, primaryStore: 'prisma', secondaryStore: null, flagVersion: version });
      await ledger.transition(opId, 'primary_wrote_alone');
      await stores.poolA.query("update budgets set name = 'written in phase 1' where id = $1", [budgetId(13)]);

      const result = await new DualWriteVerifier(dependencies()).verify(5);

      expect(result).toMatchObject({ operations: 1, singleStoreOperations: 1, keysChecked: 0, mismatches: [], equal: true });
    });

    it('refuses a window of no minutes or more than a week', async () => {
      const verifier = new DualWriteVerifier(dependencies());
      await expect(verifier.verify(0)).rejects.toThrow(InvalidWindowError);
      await expect(verifier.verify(Number.NaN)).rejects.toThrow('minutes must be a number above 0 and at most 10080 (a week), got NaN');
    });
  });

  describe('backfill-gap', () => {
    const backfill = () =>
      new BackfillGap({
        ...dependencies(),
        changedKeys: { a: new SqlChangedKeys(stores.poolA), b: new SqlChangedKeys(stores.poolB, 'public') },
        keySync: new KeySync({ pool: stores.control, ledger }),
      });

    /** Rows the primary changed (or gained) behind the module's back, an hour ago at most. */
    async function changeThePrimary(): Promise<void> {
      await stores.poolA.query("update budgets set name = 'changed on A', updated_at = now() where id = any($1::uuid[])", [[budgetId(1), budgetId(2)]]);
      await stores.poolA.query(
        "insert into budgets (id, owner_id, name, amount, currency, metadata) values ($1, $2, 'only on A', 5, 'EUR', '{}')",
        [budgetId(21), OWNER_ID],
      );
    }

    it('a dry run lists the rows the primary changed since the time that store B lacks or differs in, and changes nothing', async () => {
      await changeThePrimary();
      const checksumBefore = await stores.supabase.checksum(budgetsEntity);
      const since = new Date(Date.now() - 3_600_000);

      const result = await backfill().run(since, ['budgets'], { dryRun: true });

      expect(result).toMatchObject({ dryRun: true, primaryStore: 'prisma', secondaryStore: 'supabase' });
      expect(result.entities).toEqual([
        {
          entity: 'budgets',
          changedOnPrimary: 3,
          deletedInLedger: 0,
          gaps: [
            { key: budgetId(1), kind: 'differs', fields: ['name', 'updatedAt'] },
            { key: budgetId(2), kind: 'differs', fields: ['name', 'updatedAt'] },
            { key: budgetId(21), kind: 'missing_in_secondary', fields: [] },
          ],
          copied: 0,
          deleted: 0,
          left: [],
          stillDiffering: [],
        },
      ]);
      expect(await stores.supabase.checksum(budgetsEntity)).toEqual(checksumBefore);
    });

    it('applied, it makes them equal through KeySync and the stores end equal', async () => {
      await changeThePrimary();

      const result = await backfill().run(new Date(Date.now() - 3_600_000), 'all', { dryRun: false });

      const budgets = result.entities.find((entity) => entity.entity === 'budgets');
      expect(budgets).toMatchObject({ changedOnPrimary: 3, copied: 3, deleted: 0, left: [], stillDiffering: [] });
      expect(result.entities.map((entity) => [entity.entity, entity.gaps.length])).toEqual([
        ['users', 0],
        ['budgets', 3],
        ['posts', 0],
        ['comments', 0],
      ]);
      for (const entity of exampleEntities) expect(await stores.supabase.checksum(entity)).toEqual(await stores.prisma.checksum(entity));
    });

    it('deletes on store B a row the ledger shows deleted on the primary since the time', async () => {
      await stores.poolA.query('delete from budgets where id = $1', [budgetId(10)]);
      const { version } = await new FlagRepository(stores.control).read();
      const opId = randomUUID();
      await ledger.claim({ opId, entity: 'budgets', operation: 'delete', entityIds: [budgetId(10)], payload: {}, primaryStore: 'prisma', secondaryStore: 'supabase', flagVersion: version });
      await ledger.transition(opId, 'primary_wrote');

      const result = await backfill().run(new Date(Date.now() - 3_600_000), ['budgets'], { dryRun: false });

      expect(result.entities[0]).toMatchObject({ deletedInLedger: 1, gaps: [{ key: budgetId(10), kind: 'deleted_on_primary' }], deleted: 1, stillDiffering: [] });
      expect(await stores.supabase.get(budgetsEntity, budgetId(10))).toBeNull();
    });

    it('with store B primary (phase 3) it syncs store A from store B', async () => {
      const flags = new FlagRepository(stores.control);
      await flags.change({ next: { enableDualWrite: true, enableSupabasePrimary: true }, changedBy: 'verify spec', source: 'cli', reason: 'phase 3' });
      try {
        await stores.poolB.query("update budgets set name = 'changed on B', updated_at = now() where id = $1", [budgetId(11)]);

        const result = await backfill().run(new Date(Date.now() - 3_600_000), ['budgets'], { dryRun: false });

        expect(result).toMatchObject({ primaryStore: 'supabase', secondaryStore: 'prisma' });
        expect(result.entities[0]).toMatchObject({ changedOnPrimary: 1, gaps: [{ key: budgetId(11), kind: 'differs' }], copied: 1, stillDiffering: [] });
        expect(await stores.prisma.get(budgetsEntity, budgetId(11))).toMatchObject({ name: 'changed on B' });
      } finally {
        await flags.change({ next: { enableDualWrite: true, enableSupabasePrimary: false }, changedBy: 'verify spec', source: 'cli', reason: 'back to phase 2' });
      }
    });

    it('a store without SQL (REST only) lists the same changed keys by scanning its rows', async () => {
      await stores.poolB.query('update budgets set updated_at = now() where id = any($1::uuid[])', [[budgetId(5), budgetId(12)]]);
      const restOnly = new SupabaseStore({ url: stores.supabaseUrl, serviceRoleKey: process.env['SUPABASE_SERVICE_ROLE_KEY'] ?? '' });
      const collect = async (pages: AsyncIterable<RowKey[]>) => {
        const keys: RowKey[] = [];
        for await (const page of pages) keys.push(...page);
        return keys;
      };
      try {
        const since = new Date(Date.now() - 3_600_000);
        const scanned = await collect(new StoreScanChangedKeys(restOnly).keysChangedSince(budgetsEntity, 'updatedAt', since, 3));
        const listed = await collect(new SqlChangedKeys(stores.poolB, 'public').keysChangedSince(budgetsEntity, 'updatedAt', since, 1));

        expect(scanned).toEqual([budgetId(5), budgetId(12)]);
        expect(listed).toEqual(scanned);
      } finally {
        await restOnly.close();
      }
    });

    it('names and skips an entity without an updated-at field', async () => {
      const { updatedAt: _updatedAt, ...fields } = usersEntity.fields;
      const unversioned: EntityDefinition = { ...usersEntity, name: 'users_unversioned', versionField: 'updatedAt', fields };
      const gap = new BackfillGap({ ...dependencies(), entities: [unversioned], changedKeys: { a: new SqlChangedKeys(stores.poolA), b: new SqlChangedKeys(stores.poolB) }, keySync: new KeySync({ pool: stores.control, ledger }) });

      const result = await gap.run(new Date(Date.now() - 60_000), 'all', { dryRun: true });

      expect(result.entities).toEqual([
        expect.objectContaining({
          entity: 'users_unversioned',
          skipped: 'users_unversioned has no updated-at field (its versionField "updatedAt" is not one of its fields), so the rows changed since a time cannot be found: reconcile it instead',
          gaps: [],
        }),
      ]);
    });

    it('reads --since strictly: an ISO date or a time with its zone, never in the future', () => {
      const now = new Date('2026-11-29T20:30:00Z');
      expect(parseSince('2026-11-29T20:00:00Z', now).toISOString()).toBe('2026-11-29T20:00:00.000Z');
      expect(parseSince('2026-11-29T21:00:00+01:00', now).toISOString()).toBe('2026-11-29T20:00:00.000Z');
      expect(parseSince('2026-11-29', now).toISOString()).toBe('2026-11-29T00:00:00.000Z');
      expect(() => parseSince('yesterday', now)).toThrow('--since must be an ISO 8601 date or time with its zone, such as 2026-11-29T20:00:00Z, got "yesterday"');
      expect(() => parseSince('2026-11-29T20:00:00', now)).toThrow(InvalidSinceError);
      expect(() => parseSince('2026-13-01', now)).toThrow(InvalidSinceError);
      expect(() => parseSince('2026-11-30T00:00:00Z', now)).toThrow('--since is in the future (2026-11-30T00:00:00.000Z)');
    });
  });
});
