import { z } from 'zod';
import type { EntityDefinition } from '@dualwrite/stores';

/**
 * The type-torture table: the same data kept in columns of different types and collations on each side, the way
 * two stores of one migration really differ. Floats are `decimal` fields (the registry has no float type).
 */
export const tortureRows: EntityDefinition = {
  name: 'torture_rows',
  table: 'torture_rows',
  prismaModel: 'unused',
  primaryKey: 'id',
  keyStrategy: 'uuid',
  versionField: 'stamp',
  fields: {
    id: { type: 'uuid', column: 'id' },
    stamp: { type: 'timestamp', column: 'stamp', nullable: true },
    amount: { type: 'decimal', column: 'amount', nullable: true },
    ratio: { type: 'decimal', column: 'ratio', nullable: true },
    doc: { type: 'json', column: 'doc', nullable: true },
    label: { type: 'string', column: 'label', nullable: true },
    note: { type: 'string', column: 'note', nullable: true },
  },
  contract: z.object({}),
};

/** Store A: uuid key, microsecond timestamps, numeric with scale, float8, jsonb, text under "C". */
export const TORTURE_A_DDL = `
  create table torture_rows (
    id uuid primary key, stamp timestamptz(6), amount numeric(20, 6), ratio float8, doc jsonb,
    label text collate "C", note text)`;

/** Store B: the key as text, millisecond timestamps, numeric without scale, float4, json (kept as sent), ICU text. */
export const TORTURE_B_DDL = `
  create table torture_rows (
    id text collate "en-x-icu" primary key, stamp timestamptz(3), amount numeric, ratio float4, doc json,
    label text collate "en-x-icu", note text)`;

/**
 * Pairs of (A's literal, B's literal) per column, equal data stored differently; one row per entry. Each side's
 * literals are SQL expressions of its own column types.
 */
export const TORTURE_PAIRS: Array<{ id: string; idOnB: string; a: string[]; b: string[] }> = [
  // µs on A, the same instant truncated to ms on B (as a copy through Node writes it), and another time zone.
  row('10000000-0000-4000-8000-000000000001', "'2026-01-02 03:04:05.678999+00'", "'2026-01-02 05:04:05.678+02'"),
  row('10000000-0000-4000-8000-000000000002', "'2026-01-02 03:04:05.678000+00'", "'2026-01-02 03:04:05.678+00'"),
  row('10000000-0000-4000-8000-000000000003', "'1969-12-31 23:59:59.999+00'", "'1969-12-31 23:59:59.999+00'"),
  // numeric scale: 1.500000 vs 1.5, 100.000000 vs 100, 0.000000 vs 0, large with trailing zeros.
  { id: '20000000-0000-4000-8000-000000000001', idOnB: '20000000-0000-4000-8000-000000000001', a: ['null', '1.5', 'null', 'null', "'x'", 'null'], b: ['null', '1.5', 'null', 'null', "'x'", 'null'] },
  numeric('20000000-0000-4000-8000-000000000002', '100', '100.00'),
  numeric('20000000-0000-4000-8000-000000000003', '0', '0.0'),
  numeric('20000000-0000-4000-8000-000000000004', '123456789012.345600', '123456789012.3456'),
  numeric('20000000-0000-4000-8000-000000000005', '-0.010000', '-0.01'),
  // floats: -0 vs 0, values float4 keeps exactly and ones it prints the same.
  float('30000000-0000-4000-8000-000000000001', "'-0'", "'0'"),
  float('30000000-0000-4000-8000-000000000002', '0.5', '0.5'),
  float('30000000-0000-4000-8000-000000000003', '0.1', '0.1'),
  float('30000000-0000-4000-8000-000000000004', '1e10', '1e10'),
  float('30000000-0000-4000-8000-000000000005', '-2.25', '-2.25'),
  // json: key order, whitespace, nesting, escapes, numbers written differently, nulls inside.
  json('40000000-0000-4000-8000-000000000001', '{"b": 1, "a": [1, 2]}', '{ "a" : [1,2],\n  "b":1 }'),
  json('40000000-0000-4000-8000-000000000002', '{"z": {"y": null, "x": "caf\\u00e9"}, "aa": true}', '{"aa":true,"z":{"x":"café","y":null}}'),
  json('40000000-0000-4000-8000-000000000004', '[]', '[ ]'),
  // text under C on A and ICU on B (only bytes count), NFD kept as stored on both, empty string, NULLs.
  text('50000000-0000-4000-8000-000000000001', 'Zebra'),
  text('50000000-0000-4000-8000-000000000002', 'apple'),
  text('50000000-0000-4000-8000-000000000003', "cafe' || U&'\\0301' || '"),
  text('50000000-0000-4000-8000-000000000004', ''),
  // uuid keys: B keeps them as text, some in upper case.
  { id: 'abcdef00-0000-4000-8000-000000000001', idOnB: 'ABCDEF00-0000-4000-8000-000000000001', a: nulls(), b: nulls() },
  { id: 'ffffffff-ffff-4fff-bfff-ffffffffffff', idOnB: 'FFFFFFFF-FFFF-4FFF-BFFF-FFFFFFFFFFFF', a: nulls(), b: nulls() },
  { id: '00000000-0000-4000-8000-000000000000', idOnB: '00000000-0000-4000-8000-000000000000', a: nulls(), b: nulls() },
];

/**
 * json numbers written differently: jsonb keeps a number's text (`1.0`), so the SQL checksum sees a difference
 * where the row comparison (JSON values) sees none. Kept apart, to show the comparison clears it.
 */
export const JSON_NUMBER_PAIR = json('40000000-0000-4000-8000-000000000003', '{"n": 1.0, "m": 1e2}', '{"m": 100, "n": 1}');

function nulls(): string[] {
  return ['null', 'null', 'null', 'null', 'null', 'null'];
}

function row(id: string, a: string, b: string) {
  return { id, idOnB: id, a: [a, 'null', 'null', 'null', 'null', 'null'], b: [b, 'null', 'null', 'null', 'null', 'null'] };
}

function numeric(id: string, a: string, b: string) {
  return { id, idOnB: id, a: ['null', a, 'null', 'null', 'null', 'null'], b: ['null', b, 'null', 'null', 'null', 'null'] };
}

function float(id: string, a: string, b: string) {
  return { id, idOnB: id, a: ['null', 'null', a, 'null', 'null', 'null'], b: ['null', 'null', b, 'null', 'null', 'null'] };
}

function json(id: string, a: string, b: string) {
  const quote = (text: string) => `'${text.replace(/'/g, "''")}'`;
  return { id, idOnB: id, a: ['null', 'null', 'null', quote(a), 'null', 'null'], b: ['null', 'null', 'null', quote(b), 'null', 'null'] };
}

function text(id: string, value: string) {
  const literal = `'${value}'`;
  return { id, idOnB: id, a: ['null', 'null', 'null', 'null', literal, literal], b: ['null', 'null', 'null', 'null', literal, literal] };
}

/** A text-keyed table, C collation on A and ICU on B: key order must be bytewise on both. */
export const tortureNames: EntityDefinition = {
  name: 'torture_names',
  table: 'torture_names',
  prismaModel: 'unused',
  primaryKey: 'name',
  keyStrategy: 'uuid',
  versionField: 'name',
  fields: { name: { type: 'string', column: 'name' }, position: { type: 'int', column: 'position' } },
  contract: z.object({}),
};

/** 3000 names mixing case, accents and digits, so ICU and byte order disagree all along the key space. */
export const SEED_TORTURE_NAMES_SQL = (collation: string) => `
  create table torture_names (name text collate "${collation}" primary key, position integer not null);
  insert into torture_names
  select (array['a', 'B', 'é', 'Z', 'e', 'É', '_', '1'])[1 + i % 8] || (array['x', 'Y', 'ü', 'u'])[1 + (i / 8) % 4] || i, i
    from generate_series(1, 3000) as i`;
