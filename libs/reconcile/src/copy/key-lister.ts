import type { Pool } from 'pg';
import { keyOrderSql, qualifiedTable, quoteIdentifier, type EntityDefinition, type RowKey, type StorePlugin } from '@dualwrite/stores';
import { compareKeys, keyFromText, keyText, keyTypeOf } from '../key-order';

/** Keys in (after, upTo] of the copy's key order; undefined bounds are open. Keys as text (see keyText). */
export interface KeyWindow {
  after?: string;
  upTo?: string;
}

/** What a chunk plan needs from a side: its row count and every `chunkSize`-th key in key order. */
export interface KeyPlan {
  rows: number;
  boundaries: string[];
}

/**
 * Reads primary keys of one store in the copy's key order, which never depends on a collation: int by value,
 * uuid by bytes, text by UTF-8 bytes (`collate "C"`), the same order as `compareKeys`.
 */
export interface KeyLister {
  /** The first `limit` keys of the window, in key order, as text. */
  keys(entity: EntityDefinition, window: KeyWindow, limit: number): Promise<string[]>;
  plan(entity: EntityDefinition, chunkSize: number): Promise<KeyPlan>;
}

function parameterCast(entity: EntityDefinition): string {
  const type = keyTypeOf(entity);
  return type === 'int' ? 'bigint' : type === 'uuid' ? 'uuid' : 'text';
}

/** Every key `lister` holds in the window, read `pageSize` at a time (a chunk's keys on the side that is not paged by it). */
export async function keysInWindow(lister: KeyLister, entity: EntityDefinition, window: KeyWindow, pageSize: number): Promise<string[]> {
  const keys: string[] = [];
  for (let after = window.after; ; ) {
    const page = await lister.keys(entity, { after, upTo: window.upTo }, pageSize);
    keys.push(...page);
    if (page.length < pageSize) return keys;
    after = page[page.length - 1];
  }
}

/** Over the store's PostgreSQL: key columns only, one index scan per call; no row leaves the database. */
export class SqlKeyLister implements KeyLister {
  constructor(
    private readonly pool: Pool,
    private readonly schema?: string,
  ) {}

  async keys(entity: EntityDefinition, window: KeyWindow, limit: number): Promise<string[]> {
    const field = entity.fields[entity.primaryKey];
    if (!field) throw new Error(`Entity "${entity.name}": primary key "${entity.primaryKey}" is not one of its fields.`);
    const key = keyOrderSql(field);
    const cast = parameterCast(entity);
    const conditions: string[] = [];
    const values: string[] = [];
    if (window.after !== undefined) conditions.push(`${key} > $${values.push(window.after)}::${cast}`);
    if (window.upTo !== undefined) conditions.push(`${key} <= $${values.push(window.upTo)}::${cast}`);
    const where = conditions.length > 0 ? ` where ${conditions.join(' and ')}` : '';
    const { rows } = await this.pool.query<{ key: unknown }>(
      `select ${quoteIdentifier(field.column)} as key from ${qualifiedTable(entity, { schema: this.schema })}${where} order by ${key} limit ${Math.trunc(limit)}`,
      values,
    );
    return rows.map((row) => keyText(entity, String(row.key)));
  }

  async plan(entity: EntityDefinition, chunkSize: number): Promise<KeyPlan> {
    const field = entity.fields[entity.primaryKey];
    if (!field) throw new Error(`Entity "${entity.name}": primary key "${entity.primaryKey}" is not one of its fields.`);
    const key = keyOrderSql(field);
    const table = qualifiedTable(entity, { schema: this.schema });
    // Count and boundaries from one snapshot: writes going on meanwhile must not make them disagree.
    const client = await this.pool.connect();
    try {
      await client.query('begin isolation level repeatable read read only');
      const counted = await client.query<{ rows: string }>(`select count(*)::bigint as rows from ${table}`);
      const { rows } = await client.query<{ key: unknown }>(
        `select key from (select ${quoteIdentifier(field.column)} as key, row_number() over (order by ${key}) as n from ${table}) numbered
          where n % $1 = 0 order by n`,
        [chunkSize],
      );
      await client.query('commit');
      return { rows: Number(counted.rows[0]?.rows ?? 0), boundaries: rows.map((row) => keyText(entity, String(row.key))) };
    } finally {
      await client.query('rollback').catch(() => undefined);
      client.release();
    }
  }
}

/**
 * Over a store's own paging (`StorePlugin.page`), for a store reached only over REST. Its order is the
 * database's: the same as the copy's for int and uuid keys, a collation's for text keys, so text keys are refused.
 */
export class StorePageKeyLister implements KeyLister {
  constructor(
    private readonly store: StorePlugin,
    private readonly pageSize = 1000,
  ) {}

  async keys(entity: EntityDefinition, window: KeyWindow, limit: number): Promise<string[]> {
    this.checkKeyType(entity);
    const found: string[] = [];
    let after: RowKey | undefined = window.after === undefined ? undefined : keyFromText(entity, window.after);
    while (found.length < limit) {
      const page = await this.store.page(entity, { after, limit: Math.min(this.pageSize, limit - found.length) });
      for (const row of page.rows) {
        const key = keyText(entity, row[entity.primaryKey] as RowKey);
        if (window.upTo !== undefined && compareKeys(entity, key, window.upTo) > 0) return found;
        found.push(key);
      }
      if (page.nextAfter === null) return found;
      after = page.nextAfter;
    }
    return found;
  }

  async plan(entity: EntityDefinition, chunkSize: number): Promise<KeyPlan> {
    this.checkKeyType(entity);
    const boundaries: string[] = [];
    let rows = 0;
    let after: RowKey | undefined;
    for (;;) {
      const page = await this.store.page(entity, { after, limit: this.pageSize });
      for (const row of page.rows) {
        rows += 1;
        if (rows % chunkSize === 0) boundaries.push(keyText(entity, row[entity.primaryKey] as RowKey));
      }
      if (page.nextAfter === null) return { rows, boundaries };
      after = page.nextAfter;
    }
  }

  private checkKeyType(entity: EntityDefinition): void {
    if (keyTypeOf(entity) === 'string') {
      throw new Error(
        `Entity "${entity.name}" has a text key: over REST its order is the database's collation, not the copy's byte order; give the store's database URL (SUPABASE_DB_URL)`,
      );
    }
  }
}
