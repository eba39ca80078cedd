import type { z } from 'zod';

/** Value kinds a field can hold; every store converts its driver's values to this canonical form. */
export type FieldType = 'uuid' | 'string' | 'int' | 'decimal' | 'boolean' | 'json' | 'timestamp';

export interface FieldDefinition {
  type: FieldType;
  /** Column name in SQL stores (snake_case). The field's own name is the domain name (camelCase). */
  column: string;
  nullable?: boolean;
  /** Set by the database when omitted on insert (defaults, serial keys). */
  generated?: boolean;
}

/**
 * One entity of the host's domain as both stores see it.
 * Rows travel between the engine and the stores in the canonical shape:
 * domain field names, `decimal` as a string, `timestamp` as a Date, `json` as plain data.
 */
export interface EntityDefinition<TRow extends Row = Row> {
  /** Name used in APIs, queues and reports (e.g. `budgets`). */
  name: string;
  /** Table name in SQL stores (Supabase, pg). */
  table: string;
  /** Prisma model delegate name (e.g. `budget`). */
  prismaModel: string;
  primaryKey: string;
  /** How the primary key is assigned: by the application (uuid) or by the database (serial). */
  keyStrategy: 'uuid' | 'serial';
  /** Version column used for "newer wins" and backfills. */
  versionField: string;
  fields: Record<string, FieldDefinition>;
  /** Fields left out of comparisons. */
  ignoreInComparison?: string[];
  /** Validates a full row for create; `.partial()` of it validates updates. */
  contract: z.ZodType<Partial<TRow>>;
  /** Field that names the owning user, for row-level security (owner-only policies). */
  ownerField?: string;
}

export type Primitive = string | number | boolean | null | Date;
export type Row = Record<string, unknown>;
export type RowKey = string | number;
