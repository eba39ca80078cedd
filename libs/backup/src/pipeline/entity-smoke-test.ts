import { randomUUID } from 'node:crypto';
import type { ClientBase } from 'pg';
import type { EntityDefinition, FieldDefinition } from '@dualwrite/stores';
import { quoteIdentifier } from './database-url';

export interface EntitySmokeResult {
  entity: string;
  table: string;
  ok: boolean;
  /** What failed: the insert, the read-back (a value that did not round-trip), or the delete. */
  error?: string;
}

interface ForeignKey {
  table: string;
  column: string;
  referencedTable: string;
  referencedColumn: string;
}

/**
 * The entity contract smoke test: per entity (registry order, parents first), insert a row of every field the
 * registry declares, read it back by its primary key and compare what came back, delete it and see it gone.
 * Everything runs in one transaction that is always rolled back, so the database keeps nothing. A foreign key
 * column gets the key of the row this test inserted into the referenced table.
 */
export async function smokeTestEntities(client: ClientBase, entities: EntityDefinition[]): Promise<EntitySmokeResult[]> {
  const results: EntitySmokeResult[] = [];
  await client.query('begin');
  try {
    const foreignKeys = await readForeignKeys(client, entities.map((entity) => entity.table));
    const maxLengths = await readMaxLengths(client, entities.map((entity) => entity.table));
    const insertedKeys = new Map<string, Map<string, unknown>>();
    for (const entity of entities) {
      await client.query('savepoint smoke_entity');
      try {
        const row = smokeRow(entity, foreignKeys, insertedKeys, maxLengths);
        const keys = await insertReadDelete(client, entity, row);
        insertedKeys.set(entity.table, keys);
        results.push({ entity: entity.name, table: entity.table, ok: true });
      } catch (error) {
        await client.query('rollback to savepoint smoke_entity');
        results.push({ entity: entity.name, table: entity.table, ok: false, error: error instanceof Error ? error.message : String(error) });
      }
    }
  } finally {
    await client.query('rollback');
  }
  return results;
}

/** Inserts the row, reads it back by primary key, deletes it; returns the inserted row's column values (kept for children). */
async function insertReadDelete(client: ClientBase, entity: EntityDefinition, row: Map<string, unknown>): Promise<Map<string, unknown>> {
  const table = quoteIdentifier(entity.table);
  const columns = [...row.keys()];
  const inserted = await client.query(
    `insert into ${table} (${columns.map(quoteIdentifier).join(', ')}) values (${columns.map((_, index) => `$${index + 1}`).join(', ')}) returning *`,
    [...row.values()].map((value) => (value !== null && typeof value === 'object' && !(value instanceof Date) ? JSON.stringify(value) : value)),
  );
  const keyColumn = entity.fields[entity.primaryKey].column;
  const key = inserted.rows[0][keyColumn];
  const read = await client.query(`select * from ${table} where ${quoteIdentifier(keyColumn)} = $1`, [key]);
  if (read.rowCount !== 1) throw new Error(`read back ${read.rowCount} rows by ${keyColumn} = ${String(key)}, expected 1`);
  const missing = Object.values(entity.fields).filter((field) => !(field.column in read.rows[0])).map((field) => field.column);
  if (missing.length > 0) throw new Error(`the row read back has no ${missing.join(', ')} column`);
  for (const [column, written] of row) {
    if (comparable(read.rows[0][column]) !== comparable(written)) {
      throw new Error(`column ${column} read back ${comparable(read.rows[0][column])}, wrote ${comparable(written)}`);
    }
  }
  const kept = new Map<string, unknown>(Object.entries(inserted.rows[0]));
  await client.query('savepoint smoke_delete');
  const deleted = await client.query(`delete from ${table} where ${quoteIdentifier(keyColumn)} = $1`, [key]);
  if (deleted.rowCount !== 1) throw new Error(`delete by ${keyColumn} removed ${deleted.rowCount} rows, expected 1`);
  const after = await client.query(`select 1 from ${table} where ${quoteIdentifier(keyColumn)} = $1`, [key]);
  if (after.rowCount !== 0) throw new Error('the row is still there after its delete');
  // Undo the delete so the entities after this one (its children) can reference the row; all of it is rolled back at the end.
  await client.query('rollback to savepoint smoke_delete');
  return kept;
}

function smokeRow(
  entity: EntityDefinition,
  foreignKeys: ForeignKey[],
  insertedKeys: Map<string, Map<string, unknown>>,
  maxLengths: Map<string, number>,
): Map<string, unknown> {
  const row = new Map<string, unknown>();
  for (const field of Object.values(entity.fields)) {
    if (field.generated) continue;
    const reference = foreignKeys.find((key) => key.table === entity.table && key.column === field.column);
    if (reference) {
      const parent = insertedKeys.get(reference.referencedTable);
      if (!parent) {
        throw new Error(`${field.column} references ${reference.referencedTable}, which no entity before ${entity.name} inserted`);
      }
      row.set(field.column, parent.get(reference.referencedColumn));
      continue;
    }
    row.set(field.column, smokeValue(field, maxLengths.get(`${entity.table}.${field.column}`)));
  }
  return row;
}

function smokeValue(field: FieldDefinition, maxLength: number | undefined): unknown {
  switch (field.type) {
    case 'uuid':
      return randomUUID();
    case 'string': {
      const text = `smoke-${randomUUID()}`;
      return maxLength === undefined ? text : text.slice(0, maxLength);
    }
    case 'int':
      return 1;
    case 'decimal':
      return '1.00';
    case 'boolean':
      return true;
    case 'json':
      return { smoke: true };
    case 'timestamp':
      return new Date('2026-01-01T00:00:00.000Z');
  }
}

/** A value as text for the round-trip check (numbers and decimals by their numeric value). */
function comparable(value: unknown): string {
  if (value instanceof Date) return value.toISOString();
  if (value !== null && typeof value === 'object') return JSON.stringify(value);
  if (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value)) return String(Number(value));
  return String(value);
}

async function readForeignKeys(client: ClientBase, tables: string[]): Promise<ForeignKey[]> {
  const { rows } = await client.query<ForeignKey>(
    `select c.relname as table, a.attname as column, rc.relname as "referencedTable", ra.attname as "referencedColumn"
       from pg_constraint k
       join pg_class c on c.oid = k.conrelid
       join pg_class rc on rc.oid = k.confrelid
       join pg_attribute a on a.attrelid = k.conrelid and a.attnum = k.conkey[1]
       join pg_attribute ra on ra.attrelid = k.confrelid and ra.attnum = k.confkey[1]
      where k.contype = 'f' and c.relnamespace = 'public'::regnamespace and c.relname = any($1::text[])`,
    [tables],
  );
  return rows;
}

async function readMaxLengths(client: ClientBase, tables: string[]): Promise<Map<string, number>> {
  const { rows } = await client.query<{ table: string; column: string; length: number }>(
    `select table_name as table, column_name as column, character_maximum_length as length
       from information_schema.columns
      where table_schema = 'public' and table_name = any($1::text[]) and character_maximum_length is not null`,
    [tables],
  );
  return new Map(rows.map((row) => [`${row.table}.${row.column}`, row.length]));
}
