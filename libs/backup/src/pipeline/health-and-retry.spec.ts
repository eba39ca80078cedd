import { exampleEntities } from '@dualwrite/example-domain';
import { DatabaseUnreachableError, isConnectionError, withConnectionRetry } from './connection-retry';
import { checkDatabaseHealth } from './health-check';
import type { PipelineTarget } from './pipeline-target';
import { PRISMA_MIGRATIONS, createTestDatabase, migrateLikeSetup, sql } from './testing/pipeline-test-databases';

const FAST_RETRY = { retries: 3, initialDelayMs: 20, maxDelayMs: 100 };
const storeA = (databaseUrl: string): PipelineTarget => ({ store: 'prisma', databaseUrl, layout: 'prisma', migrationsDir: PRISMA_MIGRATIONS, entities: exampleEntities });

describe('isConnectionError', () => {
  it.each([
    ['ECONNREFUSED', true],
    ['ECONNRESET', true],
    ['ENOTFOUND', true],
    ['ETIMEDOUT', true],
    ['08006', true],
    ['08001', true],
    ['57P03', true],
    ['42P01', false],
    ['23505', false],
    ['3D000', false],
  ])('%s → %s', (code, expected) => {
    expect(isConnectionError(Object.assign(new Error('x'), { code }))).toBe(expected);
  });

  it('an error without a code is not a connection error', () => {
    expect(isConnectionError(new Error('syntax error'))).toBe(false);
    expect(isConnectionError(undefined)).toBe(false);
  });
});

describe('withConnectionRetry', () => {
  it('gives up on an unreachable database after 3 retries, naming it without its password', async () => {
    const url = 'postgresql://postgres:s3cret-pw@127.0.0.1:1/dw_pipeline_t_nowhere';

    const failure = await checkDatabaseHealth(storeA(url), FAST_RETRY).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(DatabaseUnreachableError);
    expect((failure as DatabaseUnreachableError).attempts).toBe(4);
    expect((failure as Error).message).toMatch(
      /^database postgresql:\/\/postgres:\*\*\*@127\.0\.0\.1:1\/dw_pipeline_t_nowhere is unreachable after 4 attempts \(3 retries with backoff\): .*connect ECONNREFUSED/,
    );
    expect((failure as Error).message).not.toContain('s3cret-pw');
  });

  it('succeeds when the connection comes back within the retries', async () => {
    let calls = 0;
    const result = await withConnectionRetry(
      'postgresql://postgres@127.0.0.1:5432/x',
      async () => {
        calls += 1;
        if (calls < 3) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
        return 'answered';
      },
      FAST_RETRY,
    );

    expect({ result, calls }).toEqual({ result: 'answered', calls: 3 });
  });

  it('does not retry an error the database answered with', async () => {
    let calls = 0;
    const failure = withConnectionRetry(
      'postgresql://postgres@127.0.0.1:5432/x',
      async () => {
        calls += 1;
        throw Object.assign(new Error('relation "nope" does not exist'), { code: '42P01' });
      },
      FAST_RETRY,
    );

    await expect(failure).rejects.toThrow('relation "nope" does not exist');
    expect(calls).toBe(1);
  });
});

describe('checkDatabaseHealth (db:health:check)', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  beforeEach(async () => {
    database = await createTestDatabase('health');
  });
  afterEach(() => database.drop());

  it('is healthy when the database takes writes and every entity table reads', async () => {
    await migrateLikeSetup(database.url, 'prisma');

    const report = await checkDatabaseHealth(storeA(database.url), FAST_RETRY);

    expect(report).toMatchObject({ writable: true, unreadableTables: [], ok: true });
    expect(report.serverVersion).toMatch(/^\d+/);
  });

  it('names an entity table it cannot read, and a read-only database', async () => {
    await migrateLikeSetup(database.url, 'prisma');
    await sql(database.url, `drop table comments; alter database "${database.name}" set default_transaction_read_only = on`);

    const report = await checkDatabaseHealth(storeA(database.url), FAST_RETRY);

    expect(report).toMatchObject({ writable: false, unreadableTables: [{ table: 'comments', error: 'relation "comments" does not exist' }], ok: false });
  });
});
