import { Client } from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { StoreUnavailableError } from '../store/store-errors';
import { contractOwners } from '../testing/contract-fixtures';
import { createFixturePrismaClient } from '../testing/fixture-prisma-client';
import { prismaPgPoolConfig } from './prisma-pg-config';
import { PrismaStore } from './prisma-store';

const primaryUrl = process.env['PRIMARY_DATABASE_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/dw_primary';

describe('PrismaStore with a statement timeout (statementTimeoutMs on the pg pool)', () => {
  const bounded = new PrismaStore(createFixturePrismaClient(primaryUrl, { statementTimeoutMs: 250 }), { ownsClient: true });
  const unbounded = new PrismaStore(createFixturePrismaClient(primaryUrl), { ownsClient: true });
  const locker = new Client({ connectionString: primaryUrl });
  const id = uuidv7();

  beforeAll(async () => {
    await unbounded.insert(contractOwners, { id, email: `${id}@statement-timeout.test`, displayName: 'Locked' });
    await locker.connect();
    await locker.query('begin');
    await locker.query('select id from contract_owners where id = $1 for update', [id]);
  });

  afterAll(async () => {
    await locker.query('rollback').catch(() => undefined);
    await locker.end();
    await unbounded.delete(contractOwners, id).catch(() => undefined);
    await Promise.all([bounded.close(), unbounded.close()]);
  });

  it('has PostgreSQL cancel a statement that waits too long: unavailable, SQLSTATE 57014, nothing written', async () => {
    const started = performance.now();
    const error = await bounded.update(contractOwners, id, { displayName: 'never written' }).catch((thrown: unknown) => thrown);
    const elapsedMs = performance.now() - started;

    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(error).toMatchObject({ store: 'prisma', kind: 'unavailable', code: '57014' });
    expect((error as Error).message).toContain('statement timeout');
    expect(elapsedMs).toBeGreaterThanOrEqual(200);
    expect(elapsedMs).toBeLessThan(3_000);
    await expect(unbounded.get(contractOwners, id)).resolves.toMatchObject({ displayName: 'Locked' });
  });

  it('sets the timeout on the connection itself, for every statement', async () => {
    const client = new Client(prismaPgPoolConfig(primaryUrl, { statementTimeoutMs: 1234 }));
    await client.connect();
    try {
      await expect(client.query('show statement_timeout')).resolves.toMatchObject({ rows: [{ statement_timeout: '1234ms' }] });
    } finally {
      await client.end();
    }
  });

  it('leaves the server setting alone without the option, and refuses a timeout that is not a positive whole number', () => {
    expect(prismaPgPoolConfig(primaryUrl)).toEqual({ connectionString: primaryUrl });
    expect(() => prismaPgPoolConfig(primaryUrl, { statementTimeoutMs: 0 })).toThrow('statementTimeoutMs must be a whole number of milliseconds of at least 1, got 0');
    expect(() => prismaPgPoolConfig(primaryUrl, { statementTimeoutMs: 1.5 })).toThrow(RangeError);
  });
});
