import { keyOrderSql, qualifiedTable, quoteIdentifier, type EntityDefinition, type RowKey, type StorePlugin } from '@dualwrite/stores';
import type { Pool } from 'pg';

/** Lists the keys of an entity's rows whose updated-at field is at or after a time, a page at a time in key order. */
export interface ChangedKeySource {
  keysChangedSince(entity: EntityDefinition, versionField: string, since: Date, pageSize: number): AsyncIterable<RowKey[]>;
}

/**
 * The entity's updated-at field, or why it has none: backfill-gap finds the rows a store changed by it, so the
 * field must exist in the entity's field definitions and be a timestamp.
 */
export function updatedAtFieldOf(entity: EntityDefinition): { field: string } | { skipped: string } {
  const name = entity.versionField;
  const field = name ? entity.fields[name] : undefined;
  if (!field) return { skipped: `${entity.name} has no updated-at field (its versionField "${name ?? ''}" is not one of its fields), so the rows changed since a time cannot be found: reconcile it instead` };
  if (field.type !== 'timestamp') return { skipped: `${entity.name}'s versionField "${name}" is a ${field.type}, not a timestamp: reconcile it instead` };
  return { field: name };
}

/** Keys from the store's own PostgreSQL (store A's database, store B's SUPABASE_DB_URL): keyset pages, no row leaves the database. */
export class SqlChangedKeys implements ChangedKeySource {
  constructor(
    private readonly pool: Pool,
    private readonly schema?: string,
  ) {}

  async *keysChangedSince(entity: EntityDefinition, versionField: string, since: Date, pageSize: number): AsyncIterable<RowKey[]> {
    const keyField = entity.fields[entity.primaryKey];
    const versionColumn = quoteIdentifier(entity.fields[versionField].column);
    const key = keyOrderSql(keyField);
    const cast = keyField.type === 'int' ? 'bigint' : keyField.type === 'uuid' ? 'uuid' : 'text';
    let after: RowKey | null = null;
    for (;;) {
      const values: unknown[] = [since, pageSize];
      const afterSql: string = after === null ? '' : `and ${key} > $3::${cast}${keyField.type === 'string' ? ' collate "C"' : ''}`;
      if (after !== null) values.push(after);
      const { rows }: { rows: { key: string | number }[] } = await this.pool.query<{ key: string | number }>(
        `select ${quoteIdentifier(keyField.column)} as key from ${qualifiedTable(entity, { schema: this.schema })}
          where ${versionColumn} >= $1 ${afterSql} order by ${key} limit $2`,
        values,
      );
      if (rows.length === 0) return;
      const keys: RowKey[] = rows.map((row) => (keyField.type === 'int' ? Number(row.key) : String(row.key)));
      yield keys;
      after = keys[keys.length - 1];
      if (rows.length < pageSize) return;
    }
  }
}

/** A store without SQL (REST only): every row streamed through its plugin and filtered in Node. Slower; memory flat. */
export class StoreScanChangedKeys implements ChangedKeySource {
  constructor(private readonly store: StorePlugin) {}

  async *keysChangedSince(entity: EntityDefinition, versionField: string, since: Date, pageSize: number): AsyncIterable<RowKey[]> {
    let page: RowKey[] = [];
    for await (const row of this.store.stream(entity, { batchSize: pageSize })) {
      const value = row[versionField];
      const at = value instanceof Date ? value.getTime() : new Date(String(value)).getTime();
      if (Number.isFinite(at) && at >= since.getTime()) page.push(row[entity.primaryKey] as RowKey);
      if (page.length >= pageSize) {
        yield page;
        page = [];
      }
    }
    if (page.length > 0) yield page;
  }
}
