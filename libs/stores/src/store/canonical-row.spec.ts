import { Pool } from 'pg';
import { contractItems } from '../testing/contract-fixtures';
import { canonicalRowText, jsonbText, plainDecimalText, toCanonicalValue } from './canonical-row';

const pool = new Pool({ connectionString: process.env['PRIMARY_DATABASE_URL'], max: 2 });

afterAll(() => pool.end());

async function postgresJsonbText(value: unknown): Promise<string> {
  const result = await pool.query<{ text: string }>('select $1::jsonb::text as text', [JSON.stringify(value)]);
  return result.rows[0].text;
}

async function postgresTrimScale(value: string): Promise<string> {
  const result = await pool.query<{ text: string }>('select trim_scale($1::numeric)::text as text', [value]);
  return result.rows[0].text;
}

describe('jsonbText', () => {
  const samples: Array<[string, unknown]> = [
    ['keys of different lengths', { bb: 1, a: 2, ccc: 3 }],
    ['keys of equal length sorted bytewise', { b: 1, B: 2, a: 3, é: 4, z: 5 }],
    ['nested arrays and objects', { list: [1, [2, 3], { y: null, x: true }], empty: {}, none: [] }],
    ['escapes in strings', { text: 'quote " backslash \\ newline \n tab \t unit \u001f ü 😀' }],
    ['numbers in plain notation', { big: 1e21, small: 1.5e-7, negative: -0.25, integer: 42, zero: 0 }],
    ['a top-level array', [false, 'x', 2.5]],
    ['a top-level string', 'plain'],
  ];

  it.each(samples)('renders %s exactly as PostgreSQL jsonb::text', async (_label, value) => {
    expect(jsonbText(value)).toBe(await postgresJsonbText(value));
  });
});

describe('plainDecimalText', () => {
  it.each(['100.00', '-12.50', '0.00', '0.10', '1e-7', '1.5E3', '-0.0', '000123.4500'])(
    'renders %s as trim_scale(numeric)::text does',
    async (value) => {
      expect(plainDecimalText(value)).toBe(await postgresTrimScale(value));
    },
  );

  it('rejects text that is not a number, naming it', () => {
    expect(() => plainDecimalText('12abc')).toThrow('"12abc" is not a decimal number.');
  });
});

describe('toCanonicalValue', () => {
  it('turns a decimal-like object into plain text without trailing zeros', () => {
    const decimalLike = { toFixed: () => '12.50' };
    expect(toCanonicalValue('amount', 'decimal', decimalLike)).toBe('12.5');
  });

  it('lowercases uuids and parses timestamps into Dates', () => {
    expect(toCanonicalValue('id', 'uuid', 'ABCDEF00-0000-4000-8000-000000000000')).toBe('abcdef00-0000-4000-8000-000000000000');
    expect(toCanonicalValue('createdAt', 'timestamp', '2026-01-02T03:04:05.678+00:00')).toEqual(new Date(1767323045678));
  });

  it('names the field and the value it cannot convert', () => {
    expect(() => toCanonicalValue('amount', 'decimal', true)).toThrow('Field "amount" (decimal) cannot hold a value of type boolean.');
  });
});

describe('canonicalRowText', () => {
  it('joins the fields in definition order with chr(31), NULL as \\N and timestamps as epoch milliseconds', () => {
    const text = canonicalRowText(contractItems, {
      id: 'AAAAAAAA-0000-4000-8000-000000000001',
      ownerId: 'bbbbbbbb-0000-4000-8000-000000000002',
      name: 'Rent',
      amount: '900.00',
      currency: 'EUR',
      metadata: { b: [1, 2], a: 1 },
      createdAt: new Date(1000),
      updatedAt: null,
    });

    expect(text.split('\u001f')).toEqual([
      'aaaaaaaa-0000-4000-8000-000000000001',
      'bbbbbbbb-0000-4000-8000-000000000002',
      'Rent',
      '900',
      'EUR',
      '{"a": 1, "b": [1, 2]}',
      '1000',
      '\\N',
    ]);
  });
});
