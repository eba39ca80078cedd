import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { EntityDefinition } from '@dualwrite/stores';

/** One column of every field type the registry knows, in a table of the scratch databases. */
export const driftItems: EntityDefinition = {
  name: 'drift_items',
  table: 'drift_items',
  prismaModel: 'unused',
  primaryKey: 'id',
  keyStrategy: 'uuid',
  versionField: 'changedAt',
  fields: {
    id: { type: 'uuid', column: 'id' },
    ref: { type: 'uuid', column: 'ref', nullable: true },
    label: { type: 'string', column: 'label', nullable: true },
    amount: { type: 'decimal', column: 'amount', nullable: true },
    active: { type: 'boolean', column: 'active', nullable: true },
    extra: { type: 'json', column: 'extra', nullable: true },
    quantity: { type: 'int', column: 'quantity', nullable: true },
    changedAt: { type: 'timestamp', column: 'changed_at', nullable: true },
  },
  contract: z.object({}),
};

export const DRIFT_ITEMS_DDL = `
  create table drift_items (
    id uuid primary key, ref uuid, label text, amount numeric(14, 2), active boolean, extra jsonb,
    quantity integer, changed_at timestamptz(3))`;

/** The key of seeded row n: md5('drift' || n) as a uuid, as SEED_DRIFT_ITEMS_SQL computes it. */
export function driftKey(n: number): string {
  const hex = createHash('md5').update(`drift${n}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Inserts rows 1..n on a pool: deterministic values of every type. */
export const SEED_DRIFT_ITEMS_SQL = `
  insert into drift_items
  select md5('drift' || i)::uuid, md5('ref' || i)::uuid, 'label ' || i, (i * 1.25)::numeric(14, 2), i % 2 = 0,
         jsonb_build_object('n', i, 'tags', jsonb_build_array('a', 'b')), i * 10,
         timestamptz '2026-01-01 00:00:00+00' + i * interval '1 second'
    from generate_series(1, $1::int) as i`;
