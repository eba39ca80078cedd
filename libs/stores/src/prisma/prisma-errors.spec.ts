import { randomUUID } from 'node:crypto';
import { toStoreErrorFromPrisma } from './prisma-errors';
import type { StoreError, StoreErrorKind } from '../store/store-errors';
import { createFixturePrismaClient, type FixturePrismaClient } from '../testing/fixture-prisma-client';

const primaryUrl = process.env['PRIMARY_DATABASE_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/dw_primary';

/** Every mapping is checked against an error a real Prisma client (with the pg driver adapter) threw. */
describe('toStoreErrorFromPrisma', () => {
  let prisma: FixturePrismaClient;
  const ownerId = randomUUID();

  beforeAll(async () => {
    prisma = createFixturePrismaClient(primaryUrl);
    await prisma.contractOwner.create({ data: { id: ownerId, email: `${ownerId}@errors.test`, displayName: 'Errors' } });
  });

  afterAll(async () => {
    await prisma.contractOwner.delete({ where: { id: ownerId } });
    await prisma.$disconnect();
  });

  async function mapped(call: () => PromiseLike<unknown>): Promise<StoreError> {
    try {
      await call();
    } catch (error) {
      return toStoreErrorFromPrisma('prisma', error);
    }
    throw new Error('expected the call to fail');
  }

  function expectKind(error: StoreError, kind: StoreErrorKind, code: string | undefined): void {
    expect({ kind: error.kind, code: error.code, store: error.store }).toEqual({ kind, code, store: 'prisma' });
  }

  it('maps a duplicate key (P2002) to conflict', async () => {
    const error = await mapped(() => prisma.contractOwner.create({ data: { id: ownerId, email: 'dup@errors.test', displayName: 'x' } }));
    expectKind(error, 'conflict', 'P2002');
  });

  it('maps an update of a missing row (P2025) to not_found', async () => {
    const error = await mapped(() => prisma.contractOwner.update({ where: { id: randomUUID() }, data: { displayName: 'y' } }));
    expectKind(error, 'not_found', 'P2025');
  });

  it('maps a foreign key violation (P2003) to invalid', async () => {
    const error = await mapped(() =>
      prisma.contractItem.create({ data: { id: randomUUID(), ownerId: randomUUID(), name: 'n', amount: '1', currency: 'EUR' } }),
    );
    expectKind(error, 'invalid', 'P2003');
  });

  it('maps a value too long for its column (P2000) to invalid', async () => {
    const error = await mapped(() =>
      prisma.contractItem.create({ data: { id: randomUUID(), ownerId: ownerId, name: 'n', amount: '1', currency: 'EURO' } }),
    );
    expectKind(error, 'invalid', 'P2000');
  });

  it('maps a numeric overflow (P2020) to invalid', async () => {
    const error = await mapped(() =>
      prisma.contractItem.create({ data: { id: randomUUID(), ownerId: ownerId, name: 'n', amount: '1e20', currency: 'EUR' } }),
    );
    expectKind(error, 'invalid', 'P2020');
  });

  it('maps a PrismaClientValidationError (malformed decimal) to invalid', async () => {
    const error = await mapped(() =>
      prisma.contractItem.create({ data: { id: randomUUID(), ownerId: ownerId, name: 'n', amount: 'twelve', currency: 'EUR' } }),
    );
    expect(error.kind).toBe('invalid');
    expect(error.cause).toHaveProperty('name', 'PrismaClientValidationError');
  });

  it('maps a bare DriverAdapterError carrying SQLSTATE 22P02 (malformed uuid) to invalid', async () => {
    const error = await mapped(() => prisma.contractOwner.findUnique({ where: { id: 'not-a-uuid' } }));
    expectKind(error, 'invalid', '22P02');
    expect(error.cause).toHaveProperty('name', 'DriverAdapterError');
  });

  it('maps a raw query on a missing table (P2010 with 42P01) to invalid', async () => {
    const error = await mapped(() => prisma.$queryRawUnsafe('select * from table_that_does_not_exist'));
    expectKind(error, 'invalid', '42P01');
  });

  it('maps an unreachable server (P1001) to unavailable', async () => {
    const unreachable = createFixturePrismaClient('postgresql://postgres@127.0.0.1:1/dw_primary');
    try {
      const error = await mapped(() => unreachable.contractOwner.findUnique({ where: { id: ownerId } }));
      expectKind(error, 'unavailable', 'P1001');
    } finally {
      await unreachable.$disconnect();
    }
  });

  it('maps a raw query against an unreachable server (P2010, DatabaseNotReachable) to unavailable', async () => {
    const unreachable = createFixturePrismaClient('postgresql://postgres@127.0.0.1:1/dw_primary');
    try {
      const error = await mapped(() => unreachable.$queryRawUnsafe('select 1'));
      expectKind(error, 'unavailable', 'DatabaseNotReachable');
    } finally {
      await unreachable.$disconnect();
    }
  });

  it('maps a missing database (P1003) to unavailable', async () => {
    const missing = createFixturePrismaClient('postgresql://postgres@127.0.0.1:5432/dw_database_that_does_not_exist');
    try {
      const error = await mapped(() => missing.contractOwner.findUnique({ where: { id: ownerId } }));
      expectKind(error, 'unavailable', 'P1003');
    } finally {
      await missing.$disconnect();
    }
  });

  it('keeps Prisma\'s source excerpt out of the message and names the store', async () => {
    const error = await mapped(() => prisma.contractOwner.update({ where: { id: randomUUID() }, data: { displayName: 'y' } }));
    expect(error.message.startsWith('[prisma] ')).toBe(true);
    expect(error.message).not.toContain('prisma.contractOwner.update(');
  });
});
