import { readFile } from 'node:fs/promises';
import { Client } from 'pg';
import { buildRangeChecksumSql, quoteIdentifier, type EntityDefinition } from '@dualwrite/stores';
import type { BackupContext, ProgressListener } from './backup-context';
import { percentOf, throttledProgress } from './backup-context';
import { redactDatabaseUrl } from '../pipeline/database-url';
import { BackupError, isBackupError, safeMessage } from './backup-errors';
import type { BackupManifest, BackupTableEntry } from './backup-manifest';
import { loadCopyFile } from './copy-files';
import { sequenceResetSql } from './psql-restore';
import { keysAndIndexesSql, readTableShapes, schemaHashOf, type TableShape } from './table-schema';
import { chainOf, describeBadFile, validateBackup } from './validate-backup';

export interface RestoreOptions {
  /** The database to restore into (the same store's or another). */
  targetUrl: string;
  /** Restore although the target's tables differ from the backup's (columns, types, primary keys). */
  force?: boolean;
  /** Report what would change, change nothing. */
  dryRun?: boolean;
  /**
   * What is compared with the manifest before committing: `counts` (default) every table's row count; `checksums`
   * also every table's content checksum (the drill's comparison; on 1,000,000 rows it about doubles the restore time).
   * Either way every file was re-hashed before the target was touched and every file's rows were counted as loaded.
   * `true` means `checksums` and `false` means `counts` (the first form of this option).
   */
  verify?: 'counts' | 'checksums' | boolean;
  onProgress?: ProgressListener;
}

export interface RestoreTablePlan {
  table: string;
  /** create: the target lacks the tables, they are built from the backup's schema.sql; replace: emptied and reloaded. */
  action: 'create' | 'replace';
  rowsNow: number | null;
  rowsAfter: number;
}

export interface RestoreReport {
  id: string;
  chain: string[];
  /** The target without credentials. */
  target: string;
  dryRun: boolean;
  mode: 'create' | 'replace';
  schemaMatches: boolean;
  schemaDifferences: string[];
  forced: boolean;
  tables: RestoreTablePlan[];
  rowsRestored: number;
  /** What was compared with the manifest before the commit; null for a dry run. */
  verified: 'counts' | 'checksums' | null;
  durationMs: number;
}

/**
 * Restores a full backup and the incrementals up to `id` into a database, in one transaction: every file is
 * re-hashed first (a bad one refuses the restore before the target is touched); the target's tables are emptied
 * and loaded (or created from the backup's DDL when it has none); each incremental's deleted keys are removed and
 * its changed rows upserted; every table's row count (with `verify: 'checksums'` also its content checksum) is
 * compared with the manifest before commit. Any failure rolls back: the target stays as it was.
 */
export async function restoreBackup(context: BackupContext, id: string, options: RestoreOptions): Promise<RestoreReport> {
  const started = Date.now();
  const chain = await chainOf(context, id);
  const full = chain[0];
  const last = chain[chain.length - 1];
  const target = redactDatabaseUrl(options.targetUrl);
  const validation = await validateBackup(context, id, { countRows: false });
  if (validation.firstBadFile) {
    throw new BackupError('invalid_backup', `Restore refused: ${describeBadFile(validation.firstBadFile)}.`);
  }
  const entities = entitiesOf(context, last);
  const schema = full.source.schema;
  const client = new Client({ connectionString: options.targetUrl });
  try {
    await client.connect();
  } catch (error) {
    throw new BackupError('restore_failed', `Cannot connect to the restore target ${target}: ${safeMessage(error)}`, { cause: error });
  }
  try {
    const shapes = await readTableShapes(client, schema, entities);
    const present = [...shapes.values()].filter(Boolean).length;
    const mode: 'create' | 'replace' = present === 0 ? 'create' : 'replace';
    const differences = mode === 'create' ? [] : schemaDifferences(full, shapes);
    const schemaMatches = mode === 'create' || (differences.length === 0 && schemaHashOf(shapes) === full.schemaHash);
    if (!schemaMatches && differences.length === 0) differences.push(`schema hash of the target's tables ${schemaHashOf(shapes)} differs from the backup's ${full.schemaHash} (column types, nullability or primary keys)`);
    const plan = await planTables(client, schema, last, shapes, mode);
    const report: RestoreReport = {
      id,
      chain: chain.map((manifest) => manifest.id),
      target,
      dryRun: options.dryRun ?? false,
      mode,
      schemaMatches,
      schemaDifferences: differences,
      forced: !schemaMatches && (options.force ?? false),
      tables: plan,
      rowsRestored: 0,
      verified: null,
      durationMs: 0,
    };
    if (!schemaMatches && !options.force && !options.dryRun) {
      throw new BackupError('schema_mismatch', `Restore refused: the target's schema differs from backup ${full.id}'s: ${differences.join('; ')}. Pass force to restore anyway.`);
    }
    if (options.dryRun) return { ...report, durationMs: Date.now() - started };
    await client.query('begin');
    try {
      report.rowsRestored = await load(context, client, chain, shapes, mode, options.onProgress);
      const verify = options.verify === true || options.verify === 'checksums' ? 'checksums' : 'counts';
      await verifyContent(client, schema, entities, last, verify);
      report.verified = verify;
      await client.query('commit');
    } catch (error) {
      await client.query('rollback').catch(() => undefined);
      if (isBackupError(error)) throw new BackupError(error.kind, `${error.message} The restore was rolled back; ${target} is as it was.`, { cause: error });
      throw new BackupError('restore_failed', `Restore of ${id} into ${target} failed and was rolled back (the target is as it was): ${safeMessage(error)}`, { cause: error });
    }
    return { ...report, durationMs: Date.now() - started };
  } finally {
    await client.end().catch(() => undefined);
  }
}

function entitiesOf(context: BackupContext, manifest: BackupManifest): EntityDefinition[] {
  return manifest.tables.map((table) => {
    const entity = context.entities.find((candidate) => candidate.table === table.table);
    if (!entity) throw new BackupError('unsupported_entity', `Backup ${manifest.id} holds table ${table.table}, which no registered entity names.`);
    return entity;
  });
}

function schemaDifferences(full: BackupManifest, shapes: Map<string, TableShape | null>): string[] {
  const differences: string[] = [];
  for (const table of full.tables) {
    const shape = shapes.get(table.table);
    if (!shape) {
      differences.push(`table ${table.table} is missing`);
      continue;
    }
    const have = shape.columns.map((column) => column.name);
    for (const column of table.columns) if (!have.includes(column)) differences.push(`${table.table}.${column} is missing`);
    for (const column of have) if (!table.columns.includes(column)) differences.push(`${table.table}.${column} is not in the backup`);
  }
  return differences;
}

async function planTables(client: Client, schema: string, last: BackupManifest, shapes: Map<string, TableShape | null>, mode: 'create' | 'replace'): Promise<RestoreTablePlan[]> {
  const plan: RestoreTablePlan[] = [];
  for (const table of last.tables) {
    let rowsNow: number | null = null;
    if (shapes.get(table.table)) {
      const { rows } = await client.query<{ count: string }>(`select count(*)::bigint as count from ${qualified(schema, table.table)}`);
      rowsNow = Number(rows[0].count);
    }
    plan.push({ table: table.table, action: mode, rowsNow, rowsAfter: table.rowCount });
  }
  return plan;
}

function qualified(schema: string, table: string): string {
  return `${quoteIdentifier(schema)}.${quoteIdentifier(table)}`;
}

/** Everything inside the restore's transaction; returns the rows loaded. */
async function load(
  context: BackupContext,
  client: Client,
  chain: BackupManifest[],
  shapes: Map<string, TableShape | null>,
  mode: 'create' | 'replace',
  onProgress?: ProgressListener,
): Promise<number> {
  const [full, ...incrementals] = chain;
  const schema = full.source.schema;
  const report = throttledProgress(onProgress);
  const expected = chain.reduce((sum, manifest) => sum + manifest.tables.reduce((rows, table) => rows + (table.data.rows ?? 0), 0), 0);
  let done = 0;
  const onRows = (table: string) => (rows: number) => {
    done += rows;
    report({ phase: 'load', table, rowsDone: done, rowsExpected: expected, percent: percentOf(done, expected) });
  };
  const fileText = async (manifest: BackupManifest, relative: string) => readFile(context.storage.fileOf(manifest.id, relative), 'utf8');
  let postData: string;
  if (mode === 'create') {
    if (!full.schemaFiles) throw new BackupError('invalid_backup', `Full backup ${full.id} has no schema files.`);
    await client.query(await fileText(full, full.schemaFiles.preData.path));
    postData = await fileText(full, full.schemaFiles.postData.path);
  } else {
    postData = await dropLoadTimeObjects(client, schema, [...shapes.values()].filter((shape): shape is TableShape => shape !== null));
    await client.query(`truncate ${full.tables.map((table) => qualified(schema, table.table)).join(', ')}`);
  }
  for (const table of full.tables) await loadTable(context, client, schema, full, table, onRows(table.table));
  await client.query(postData);
  for (const incremental of incrementals) await applyIncremental(context, client, schema, incremental, onRows);
  for (const table of full.tables) {
    const { rows } = await client.query<{ sequence: string | null }>('select pg_get_serial_sequence($1, $2) as sequence', [qualified(schema, table.table), table.primaryKey]);
    if (rows[0]?.sequence) await client.query(sequenceResetSql(schema, table.table, table.primaryKey));
  }
  report({ phase: 'done', rowsDone: done, rowsExpected: done, percent: 100 });
  return done;
}

/**
 * Foreign keys, then the keys, unique constraints and indexes of every table no other table's foreign key points
 * at, are dropped before the bulk load and made again after it (one index build and one validation per table
 * instead of one per row), as pg_restore does; all inside the transaction. Returns the SQL that puts them back.
 */
async function dropLoadTimeObjects(client: Client, schema: string, shapes: TableShape[]): Promise<string> {
  const tables = shapes.map((shape) => qualified(schema, shape.table));
  const { rows } = await client.query<{ table: string }>(
    `select distinct c.confrelid::regclass::text as table from pg_constraint c
      where c.contype = 'f' and c.confrelid = any($1::regclass[]) and not (c.conrelid = any($1::regclass[]))`,
    [tables],
  );
  const referencedFromOutside = new Set(rows.map((row) => row.table));
  const rebuilt = (shape: TableShape) => !referencedFromOutside.has(qualified(schema, shape.table)) && !referencedFromOutside.has(shape.table);
  for (const shape of shapes) {
    for (const constraint of shape.constraints.filter((candidate) => candidate.type === 'f')) {
      await client.query(`alter table ${qualified(schema, shape.table)} drop constraint ${quoteIdentifier(constraint.name)}`);
    }
  }
  for (const shape of shapes.filter(rebuilt)) {
    for (const index of shape.indexes) await client.query(`drop index ${index.name}`);
    for (const constraint of shape.constraints.filter((candidate) => candidate.type === 'u' || candidate.type === 'x')) {
      await client.query(`alter table ${qualified(schema, shape.table)} drop constraint ${quoteIdentifier(constraint.name)}`);
    }
    if (shape.primaryKeyConstraint) await client.query(`alter table ${qualified(schema, shape.table)} drop constraint ${quoteIdentifier(shape.primaryKeyConstraint.name)}`);
  }
  const keep = (shape: TableShape): TableShape => ({ ...shape, primaryKeyConstraint: null, indexes: [], constraints: shape.constraints.filter((constraint) => constraint.type === 'f') });
  const statements = keysAndIndexesSql(schema, shapes.map((shape) => (rebuilt(shape) ? { ...shape, constraints: shape.constraints.filter((constraint) => constraint.type !== 'c') } : keep(shape))), () => true);
  return statements.join('\n') || 'select 1';
}

async function loadTable(context: BackupContext, client: Client, schema: string, manifest: BackupManifest, table: BackupTableEntry, onRows: (rows: number) => void): Promise<void> {
  let rows = 0;
  const columns = table.columns.map(quoteIdentifier).join(', ');
  await loadCopyFile(client, `copy ${qualified(schema, table.table)} (${columns}) from stdin`, context.storage.fileOf(manifest.id, table.data.path), (count) => {
    rows += count;
    onRows(count);
  });
  if (rows !== table.data.rows) throw new BackupError('invalid_backup', `Backup ${manifest.id}: ${table.data.path} held ${rows} rows, the manifest says ${table.data.rows}.`);
}

async function applyIncremental(
  context: BackupContext,
  client: Client,
  schema: string,
  manifest: BackupManifest,
  onRows: (table: string) => (rows: number) => void,
): Promise<void> {
  for (const table of [...manifest.tables].reverse()) {
    if (!table.deleted || table.deleted.rows === 0) continue;
    await client.query('create temp table _dw_deleted_keys (key text) on commit drop');
    await loadCopyFile(client, 'copy _dw_deleted_keys (key) from stdin', context.storage.fileOf(manifest.id, table.deleted.path));
    const key = quoteIdentifier(table.primaryKey);
    await client.query(
      `delete from ${qualified(schema, table.table)} t using _dw_deleted_keys d
        where t.${key} = d.key::${await columnType(client, schema, table.table, table.primaryKey)}`,
    );
    await client.query('drop table _dw_deleted_keys');
  }
  for (const table of manifest.tables) {
    if (table.data.rows === 0) continue;
    const columns = table.columns.map(quoteIdentifier);
    await client.query(`create temp table _dw_changed_rows (like ${qualified(schema, table.table)}) on commit drop`);
    await loadCopyFile(client, `copy _dw_changed_rows (${columns.join(', ')}) from stdin`, context.storage.fileOf(manifest.id, table.data.path), onRows(table.table));
    const key = quoteIdentifier(table.primaryKey);
    const updates = columns.filter((column) => column !== key).map((column) => `${column} = excluded.${column}`);
    await client.query(
      `insert into ${qualified(schema, table.table)} (${columns.join(', ')}) ${overriding(await isIdentity(client, schema, table.table, table.primaryKey))}` +
        `select ${columns.join(', ')} from _dw_changed_rows on conflict (${key}) do ${updates.length ? `update set ${updates.join(', ')}` : 'nothing'}`,
    );
    await client.query('drop table _dw_changed_rows');
  }
}

function overriding(identityAlways: boolean): string {
  return identityAlways ? 'overriding system value ' : '';
}

async function columnType(client: Client, schema: string, table: string, column: string): Promise<string> {
  const { rows } = await client.query<{ type: string }>(
    `select format_type(a.atttypid, a.atttypmod) as type from pg_attribute a where a.attrelid = $1::regclass and a.attname = $2`,
    [qualified(schema, table), column],
  );
  if (!rows[0]) throw new BackupError('schema_mismatch', `Table ${table} has no column ${column}.`);
  return rows[0].type;
}

async function isIdentity(client: Client, schema: string, table: string, column: string): Promise<boolean> {
  const { rows } = await client.query<{ identity: string }>(
    `select a.attidentity::text as identity from pg_attribute a where a.attrelid = $1::regclass and a.attname = $2`,
    [qualified(schema, table), column],
  );
  return rows[0]?.identity === 'a';
}

/** Row count (and with `checksums` the content checksum) of every table, inside the transaction, against the newest manifest. */
async function verifyContent(client: Client, schema: string, entities: EntityDefinition[], last: BackupManifest, verify: 'counts' | 'checksums'): Promise<void> {
  for (const [at, entity] of entities.entries()) {
    const expected = last.tables[at];
    if (verify === 'counts') {
      const { rows } = await client.query<{ count: string }>(`select count(*)::bigint as count from ${qualified(schema, expected.table)}`);
      if (Number(rows[0].count) !== expected.rowCount) {
        throw new BackupError('restore_failed', `Restored table ${expected.table} has ${rows[0].count} rows, backup ${last.id} says ${expected.rowCount}.`);
      }
      continue;
    }
    const query = buildRangeChecksumSql(entity, undefined, { schema });
    const { rows } = await client.query<{ row_count: string; checksum: string }>(query.text, query.values);
    const actual = { count: Number(rows[0].row_count), checksum: rows[0].checksum };
    if (actual.count !== expected.rowCount || actual.checksum !== expected.checksum) {
      throw new BackupError(
        'restore_failed',
        `Restored table ${expected.table} does not match backup ${last.id}: ${actual.count} rows with checksum ${actual.checksum}, ` +
          `expected ${expected.rowCount} rows with checksum ${expected.checksum}.`,
      );
    }
  }
}
