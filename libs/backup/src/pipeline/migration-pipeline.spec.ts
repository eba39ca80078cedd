import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { exampleEntities } from '@dualwrite/example-domain';
import type { EntityDefinition } from '@dualwrite/stores';
import { MigrationPipeline, type PipelineReport } from './migration-pipeline';
import { BackupService } from '../backups/backup-service';
import { PgDumpPipelineBackups } from './pg-dump-backups';
import type { PipelineTarget } from './pipeline-target';
import {
  SUPABASE_BOOTSTRAP_SQL,
  catalogOf,
  createControlDatabase,
  createTestDatabase,
  migrateLikeSetup,
  migrationsWith,
  removeTemporaryMigrations,
  onDatabase,
  sql,
  startWebhookListener,
} from './testing/pipeline-test-databases';
import { VerifiedPipelineBackups } from './verified-pipeline-backups';
import { WebhookNotifier } from './webhook-notifier';

const FAST_RETRY = { retries: 3, initialDelayMs: 20, maxDelayMs: 100 };
const USER_ID = '0190a5d2-7c3e-7000-8000-000000000001';

/**
 * Two new migrations: the first succeeds and commits; the second fails half-way on this database's data (two users
 * share a display name, so the unique index cannot be built) after its own first statement. On an empty shadow
 * database both pass, so check lets them through.
 */
const HALF_FAILING = {
  '20261201000000_audit_log': 'create table "audit_log" ("id" serial primary key, "note" text not null);',
  '20261201000001_unique_names': 'alter table "users" add column "nickname" text;\ncreate unique index "users_display_name_key" on "users" ("display_name");',
};

let control: Awaited<ReturnType<typeof createControlDatabase>>;
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let webhook: Awaited<ReturnType<typeof startWebhookListener>>;
let backupService: BackupService;
let storage: string;

beforeAll(async () => {
  control = await createControlDatabase();
});
afterAll(async () => {
  removeTemporaryMigrations();
  await control.drop();
});

beforeEach(async () => {
  database = await createTestDatabase('pipe');
  webhook = await startWebhookListener();
  storage = mkdtempSync(path.join(tmpdir(), 'dw-pipeline-backups-'));
  // The platform's real backups (BackupService) of either store's registered tables, in this test's database.
  backupService = openBackupService(exampleEntities);
});
afterEach(async () => {
  await backupService.close();
  await webhook.close();
  rmSync(storage, { recursive: true, force: true });
  await database.drop();
});

function openBackupService(entities: EntityDefinition[]): BackupService {
  return new BackupService({
    storagePath: storage,
    controlDatabaseUrl: control.url,
    entities,
    sources: { a: { databaseUrl: database.url }, b: { databaseUrl: database.url } },
  });
}

function pipeline(target: PipelineTarget, options: { rollbackEnabled?: boolean; stepTimeoutMs?: number } = {}): MigrationPipeline {
  return new MigrationPipeline({
    target,
    backups: new VerifiedPipelineBackups(openBackupService, new PgDumpPipelineBackups(storage, FAST_RETRY), target.store === 'supabase' ? 'b' : 'a'),
    notifier: new WebhookNotifier(webhook.url),
    rollbackEnabled: options.rollbackEnabled ?? true,
    limits: { stepTimeoutMs: options.stepTimeoutMs ?? 60_000, retry: FAST_RETRY },
  });
}

const storeA = (migrationsDir: string): PipelineTarget => ({ store: 'prisma', databaseUrl: database.url, layout: 'prisma', migrationsDir, entities: exampleEntities });

const OTHER_ID = '0190a5d2-7c3e-7000-8000-000000000002';
async function seedUsers(): Promise<void> {
  await sql(database.url, `insert into users (id, email, display_name) values ('${USER_ID}', 'ada@example.com', 'Ada'), ('${OTHER_ID}', 'ada2@example.com', 'Ada')`);
}

const appliedPrismaMigrations = () =>
  onDatabase(database.url, async (client) => (await client.query('select migration_name from "_prisma_migrations" order by 1')).rows.map((row) => row.migration_name));
const users = () => onDatabase(database.url, async (client) => (await client.query('select id, email, display_name from users order by id')).rows);

describe('MigrationPipeline (db:migrate)', () => {
  it('deploys a pending migration: check, backup, deploy, validate, health; no notification', async () => {
    await migrateLikeSetup(database.url, 'prisma');
    const migrationsDir = migrationsWith('prisma', { '20261201000000_posts_summary': 'alter table "posts" add column "summary" text;' });

    const report = await pipeline(storeA(migrationsDir)).run();

    expect(report.result).toBe('deployed');
    expect(report.steps.map((step) => [step.step, step.outcome])).toEqual([
      ['check', 'succeeded'],
      ['backup', 'succeeded'],
      ['deploy', 'succeeded'],
      ['validate', 'succeeded'],
      ['health', 'succeeded'],
    ]);
    expect(report.notification).toBe('not_needed');
    expect(webhook.received).toEqual([]);
    expect((await catalogOf(database.url)).posts.columns.summary).toEqual({ type: 'text', nullable: true, default: null });
  });

  it('a first deploy into an empty database: no rows to back up yet, every migration applied', async () => {
    const report = await pipeline(storeA(migrationsWith('prisma', {}))).run();

    expect(report.result).toBe('deployed');
    expect(report.backupId).toMatch(/^prisma-\S+~none$/);
    expect(await appliedPrismaMigrations()).toEqual(['20261124000000_init', '20261129000000_store_contract_fixtures']);
  });

  it('a migration failing half-way: the backup is restored (the earlier new migration undone too) and the webhook gets the JSON', async () => {
    await migrateLikeSetup(database.url, 'prisma');
    await seedUsers();
    const before = await catalogOf(database.url);

    const report = await pipeline(storeA(migrationsWith('prisma', HALF_FAILING))).run();

    expect(report.result).toBe('failed_rolled_back');
    expect(report.steps.map((step) => [step.step, step.outcome])).toEqual([
      ['check', 'succeeded'],
      ['backup', 'succeeded'],
      ['deploy', 'failed'],
    ]);
    expect(report.steps[2].errors?.[0]).toMatch(/^Migration 20261201000001_unique_names failed and was rolled back: could not create unique index "users_display_name_key"/);
    expect(report.restore).toMatchObject({ outcome: 'succeeded' });
    const [snapshotId, backupId] = (report.backupId ?? '').split('~');
    expect(snapshotId).toMatch(/^prisma-/);
    expect(await backupService.list()).toContainEqual(expect.objectContaining({ id: backupId, kind: 'full', store: 'a', status: 'complete' }));
    expect(await catalogOf(database.url)).toEqual(before);
    expect(await appliedPrismaMigrations()).toEqual(['20261124000000_init', '20261129000000_store_contract_fixtures']);
    expect(await users()).toEqual([
      { id: USER_ID, email: 'ada@example.com', display_name: 'Ada' },
      { id: OTHER_ID, email: 'ada2@example.com', display_name: 'Ada' },
    ]);

    expect(report.notification).toBe('sent');
    expect(webhook.received).toEqual([
      {
        event: 'migration_pipeline_failed',
        store: 'prisma',
        database: database.name,
        result: 'failed_rolled_back',
        failedStep: 'deploy',
        error: expect.stringMatching(/^Migration 20261201000001_unique_names failed and was rolled back: could not create unique index/),
        backupId: report.backupId,
        rolledBack: true,
        steps: [
          { step: 'check', outcome: 'succeeded', durationMs: expect.any(Number) },
          { step: 'backup', outcome: 'succeeded', durationMs: expect.any(Number) },
          { step: 'deploy', outcome: 'failed', durationMs: expect.any(Number), error: expect.stringContaining('could not create unique index') },
        ],
        at: expect.any(String),
      },
    ]);
  });

  it('a migration running past MIGRATION_TIMEOUT: it is cancelled, the backup restored, the webhook told', async () => {
    await migrateLikeSetup(database.url, 'prisma');
    await seedUsers();
    // Slow only on this database's rows (like a rewrite of a big table); instant on an empty shadow database.
    const migrationsDir = migrationsWith('prisma', {
      '20261201000000_audit_log': HALF_FAILING['20261201000000_audit_log'],
      '20261201000001_slow': 'alter table "users" add column "nickname" text;\nselect pg_sleep(case when (select count(*) from "users") > 0 then 30 else 0 end);',
    });
    const before = await catalogOf(database.url);

    const report: PipelineReport = await pipeline(storeA(migrationsDir), { stepTimeoutMs: 10_000 }).run();

    expect(report.result).toBe('failed_rolled_back');
    expect(report.steps[2]).toMatchObject({ step: 'deploy', outcome: 'failed' });
    expect(report.steps[2].errors?.[0]).toBe(
      'deploy did not finish within MIGRATION_TIMEOUT (10000 ms): the running migration was cancelled and its transaction rolled back (1 session(s))',
    );
    expect(await catalogOf(database.url)).toEqual(before);
    const sleeping = await onDatabase(database.url, async (client) => (await client.query(`select count(*)::int as n from pg_stat_activity where query like '%pg_sleep(case%' and pid <> pg_backend_pid()`)).rows[0].n);
    expect(sleeping).toBe(0);
    expect(webhook.received).toEqual([expect.objectContaining({ result: 'failed_rolled_back', failedStep: 'deploy', rolledBack: true })]);
  }, 60_000);

  it('with ROLLBACK_ENABLED=false a failure leaves the database as the failure left it, and still notifies', async () => {
    await migrateLikeSetup(database.url, 'prisma');
    await seedUsers();

    const report = await pipeline(storeA(migrationsWith('prisma', HALF_FAILING)), { rollbackEnabled: false }).run();

    expect(report.result).toBe('failed_not_rolled_back');
    expect(report.restore).toBeUndefined();
    expect(await appliedPrismaMigrations()).toContain('20261201000000_audit_log');
    expect(webhook.received).toEqual([expect.objectContaining({ result: 'failed_not_rolled_back', failedStep: 'deploy', rolledBack: false })]);
  });

  it('a database that drifted stops at check: no backup, nothing deployed, notified', async () => {
    await migrateLikeSetup(database.url, 'prisma');
    await sql(database.url, 'alter table posts drop column body');

    const report = await pipeline(storeA(migrationsWith('prisma', { '20261201000000_posts_summary': 'alter table "posts" add column "summary" text;' }))).run();

    expect(report.result).toBe('failed_unchanged');
    expect(report.steps.map((step) => step.step)).toEqual(['check']);
    expect(report.steps[0].errors).toEqual(['drift (database vs applied migrations): missing column: posts.body (expected text not null)']);
    expect(await appliedPrismaMigrations()).toEqual(['20261124000000_init', '20261129000000_store_contract_fixtures']);
    expect(webhook.received).toEqual([expect.objectContaining({ result: 'failed_unchanged', failedStep: 'check', rolledBack: false })]);
  });

  it('a pending migration that fails even on an empty database stops at check: nothing touched', async () => {
    await migrateLikeSetup(database.url, 'prisma');

    const report = await pipeline(storeA(migrationsWith('prisma', { '20261201000000_broken': 'select 1 / 0;' }))).run();

    expect(report.result).toBe('failed_unchanged');
    expect(report.steps[0].errors).toEqual(['pending migration 20261201000000_broken fails on an empty shadow database: division by zero']);
    expect(await appliedPrismaMigrations()).toEqual(['20261124000000_init', '20261129000000_store_contract_fixtures']);
  });

  it('a check running past MIGRATION_TIMEOUT fails naming the limit, leaves no shadow database behind, and changes nothing', async () => {
    await migrateLikeSetup(database.url, 'prisma');

    const report = await pipeline(storeA(migrationsWith('prisma', { '20261201000000_slow_shadow': 'select pg_sleep(20);' })), { stepTimeoutMs: 1_500 }).run();

    expect(report.result).toBe('failed_unchanged');
    expect(report.steps[0].errors).toEqual(['check did not finish within MIGRATION_TIMEOUT (1500 ms)']);
    const shadows = await onDatabase(database.url, async (client) => (await client.query(`select count(*)::int as n from pg_database where datname like $1`, [`${database.name}_shadow_%`])).rows[0].n);
    expect(shadows).toBe(0);
  });

  it('a webhook that cannot be reached is reported as such; the rollback still happened', async () => {
    await migrateLikeSetup(database.url, 'prisma');
    await seedUsers();
    const target = storeA(migrationsWith('prisma', HALF_FAILING));
    const closedPort = new MigrationPipeline({
      target,
      backups: new VerifiedPipelineBackups(openBackupService, new PgDumpPipelineBackups(storage, FAST_RETRY), 'a'),
      notifier: new WebhookNotifier('http://127.0.0.1:1/hooks', 2_000),
      rollbackEnabled: true,
      limits: { stepTimeoutMs: 60_000, retry: FAST_RETRY },
    });

    const report = await closedPort.run();

    expect(report.result).toBe('failed_rolled_back');
    expect(report.notification).toEqual({ failed: expect.stringMatching(/fetch failed/) });
  });

  it('nothing pending: up to date after check, no backup taken', async () => {
    await migrateLikeSetup(database.url, 'prisma');

    const report = await pipeline(storeA(migrationsWith('prisma', {}))).run();

    expect(report).toMatchObject({ result: 'up_to_date', notification: 'not_needed' });
    expect(report.steps.map((step) => [step.step, step.outcome])).toEqual([['check', 'nothing_pending']]);
  });

  it('an unreachable database: check fails after the retries with a clear error, notified', async () => {
    const target = { ...storeA(migrationsWith('prisma', {})), databaseUrl: 'postgresql://postgres:pw-not-shown@127.0.0.1:1/dw_pipeline_t_nowhere' };

    const report = await pipeline(target).run();

    expect(report.result).toBe('failed_unchanged');
    expect(report.steps[0].errors?.[0]).toMatch(/^database postgresql:\/\/postgres:\*\*\*@127\.0\.0\.1:1\/dw_pipeline_t_nowhere is unreachable after 4 attempts/);
    expect(JSON.stringify(webhook.received)).not.toContain('pw-not-shown');
    expect(webhook.received).toEqual([expect.objectContaining({ result: 'failed_unchanged', failedStep: 'check' })]);
  });

  it('store B: a failing Supabase migration is rolled back with RLS, policies and the ledger as they were', async () => {
    await migrateLikeSetup(database.url, 'supabase');
    await seedUsers();
    const before = await catalogOf(database.url);
    const target: PipelineTarget = {
      store: 'supabase',
      databaseUrl: database.url,
      layout: 'supabase',
      migrationsDir: migrationsWith('supabase', {
        '20261201000000_audit_log': 'create table public.audit_log (id serial primary key); alter table public.audit_log enable row level security;',
        '20261201000001_unique_names': 'alter table public.posts disable row level security;\ndrop policy users_owner_all on public.users;\ncreate unique index users_display_name_key on public.users (display_name);',
      }),
      entities: exampleEntities,
      shadowPreambleSql: SUPABASE_BOOTSTRAP_SQL,
    };

    const report = await pipeline(target).run();

    expect(report.result).toBe('failed_rolled_back');
    expect(await catalogOf(database.url)).toEqual(before);
    const versions = await onDatabase(database.url, async (client) => (await client.query('select version from supabase_migrations.schema_migrations order by 1')).rows.map((row) => row.version));
    expect(versions).toEqual(['20261124000000', '20261128000000', '20261129000000']);
    expect(await users()).toHaveLength(2);
    expect(webhook.received).toEqual([expect.objectContaining({ store: 'supabase', result: 'failed_rolled_back', rolledBack: true })]);
  });
});
