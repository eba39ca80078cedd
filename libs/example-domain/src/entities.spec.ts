import { Client } from 'pg';
import { budgetContract, exampleEntities } from './entities';
import { createPrismaClient } from './prisma-client';

const databases = {
  'store A (dw_primary)': process.env['PRIMARY_DATABASE_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/dw_primary',
  'store B (dw_supabase)': process.env['SUPABASE_DB_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/dw_supabase',
};

describe.each(Object.entries(databases))('the example entities match the tables of %s', (_label, url) => {
  const client = new Client({ connectionString: url });

  beforeAll(() => client.connect());
  afterAll(() => client.end());

  it.each(exampleEntities.map((entity) => [entity.name, entity] as const))('%s: every field has its column', async (_name, entity) => {
    const { rows } = await client.query<{ column_name: string }>(
      `select column_name from information_schema.columns where table_schema = 'public' and table_name = $1`,
      [entity.table],
    );
    const columns = rows.map((row) => row.column_name).sort();

    expect(Object.values(entity.fields).map((field) => field.column).sort()).toEqual(columns);
  });
});

describe('example contracts', () => {
  it('a budget amount with three decimals is refused, naming the rule', () => {
    const parsed = budgetContract.safeParse({
      id: '01a21ffa-a271-7373-aeda-2d7fe3c3bb62',
      ownerId: '01a21ffa-a1b0-77be-b9ca-7fe2da6c4744',
      name: 'Rent',
      amount: '10.123',
      currency: 'EUR',
    });

    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]).toMatchObject({ path: ['amount'], message: expect.stringContaining('at most 12 digits and 2 decimals') });
  });

  it('the Prisma client factory refuses an empty connection string', () => {
    expect(() => createPrismaClient('')).toThrow('set PRIMARY_DATABASE_URL');
  });
});
