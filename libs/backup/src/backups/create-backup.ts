import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { Client } from 'pg';
import { buildRangeChecksumSql, quoteIdentifier, type EntityDefinition } from '@dualwrite/stores';
import type { BackupContext, BackupProgress, ProgressListener } from './backup-context';
import { percentOf, throttledProgress } from './backup-context';
import { BackupError, isBackupError, safeMessage } from './backup-errors';
import {
  MANIFEST_FORMAT,
  newBackupId,
  type BackupFileEntry,
  type BackupKind,
  type BackupManifest,
  type BackupStoreId,
  type BackupTableEntry,
} from './backup-manifest';
import { storageError } from './backup-storage';
import { copyTextValue, writeCopyFile, writeLinesFile, writeTextFile } from './copy-files';
import { psqlReadme, psqlRestoreLines, psqlRestoreScript } from './psql-restore';
import { postDataSql, preDataSql, readSchemaVersion, readTableShapes, requireShape, schemaHashOf, type TableShape } from './table-schema';

export interface CreateBackupRequest {
  store: BackupStoreId;
  kind: BackupKind;
  onProgress?: ProgressListener;
}

interface Snapshot {
  main: Client;
  side: Client;
  snapshotAt: string;
  database: string;
}

/** The column an entity's version field lives in (incrementals take rows whose version is newer). */
function versionColumnOf(entity: EntityDefinition): string {
  const field = entity.fields[entity.versionField];
  if (!field) throw new BackupError('unsupported_entity', `Entity ${entity.name}: version field "${entity.versionField}" is not one of its fields; an incremental backup cannot select its changed rows.`);
  return field.column;
}

function keyColumnOf(entity: EntityDefinition): string {
  return entity.fields[entity.primaryKey]?.column ?? entity.primaryKey;
}

/**
 * Takes a full or incremental backup of one store's registered tables, all in one repeatable-read snapshot: each
 * table streamed with COPY through gzip into BACKUP_STORAGE_PATH while a second connection on the same exported
 * snapshot computes the tables' content checksums. Files go into a partial folder that is renamed into place
 * after the manifest is written; any failure removes it and marks the index row failed.
 */
export async function createBackup(context: BackupContext, request: CreateBackupRequest): Promise<BackupManifest> {
  const source = context.sources[request.store];
  if (!source) throw new BackupError('unsupported_entity', `Store ${request.store} has no database connection configured for backups (store B needs SUPABASE_DB_URL).`);
  const schema = source.schema ?? 'public';
  if (request.kind === 'incremental') context.entities.forEach(versionColumnOf);
  await context.storage.ensureWritable();

  const parent = request.kind === 'incremental' ? await context.index.latestComplete(request.store) : null;
  if (request.kind === 'incremental' && !parent) {
    throw new BackupError('no_parent', `No complete backup of store ${request.store} to build an incremental on: take a full backup first.`);
  }
  const parentManifest = parent ? await context.storage.readManifest(parent.id) : null;
  const started = Date.now();
  const id = newBackupId(request.kind, request.store, new Date(started), randomBytes(2).toString('hex'));
  const fullId = parentManifest ? parentManifest.fullId : id;
  await context.index.start({ id, kind: request.kind, store: request.store, parentId: parent?.id ?? null, fullId });
  const report = throttledProgress(request.onProgress);
  let snapshot: Snapshot | null = null;
  let failed = true;
  try {
    const dir = await context.storage.startPartial(id);
    snapshot = await openSnapshot(source.databaseUrl);
    const shapes = await readTableShapes(snapshot.main, schema, context.entities);
    for (const entity of context.entities) requireShape(shapes, entity.table, `store ${request.store} (${snapshot.database}.${schema})`);
    const schemaVersion = await readSchemaVersion(snapshot.main, schema);
    const since = parentManifest ? await sinceOf(snapshot.main, parentManifest.snapshotAt, context.overlapMs) : null;
    const checksums = tableChecksums(snapshot.side, context.entities, schema);
    checksums.catch(() => undefined);
    const expected = await estimatedRows(snapshot.main, context.entities, schema);
    const progress: BackupProgress = { phase: 'copy', rowsDone: 0, rowsExpected: expected, percent: 0 };
    const tables: Omit<BackupTableEntry, 'rowCount' | 'checksum'>[] = [];
    for (const entity of context.entities) {
      const shape = shapes.get(entity.table) as TableShape;
      const columns = shape.columns.map((column) => column.name);
      const onRows = (rows: number) => {
        progress.rowsDone += rows;
        progress.percent = percentOf(progress.rowsDone, progress.rowsExpected);
        report({ ...progress, table: entity.table });
      };
      const dataPath = `data/${entity.table}.${request.kind === 'full' ? 'copy' : 'changed.copy'}.gz`;
      const data = await writeData(snapshot.main, schema, entity, columns, since, path.join(dir, dataPath), onRows);
      const table: Omit<BackupTableEntry, 'rowCount' | 'checksum'> = {
        entity: entity.name,
        table: entity.table,
        columns,
        primaryKey: keyColumnOf(entity),
        data: { path: dataPath, ...data },
      };
      if (since !== null) {
        const keys = await deletedKeys(context, snapshot.main, schema, entity, shape, since);
        const deletedPath = `data/${entity.table}.deleted.copy.gz`;
        table.deleted = { path: deletedPath, ...(await writeLinesFile(keys.map(copyTextValue), path.join(dir, deletedPath))) };
        table.deletions =
          'keys of delete and batch operations in the operation ledger (dual_write_ops) since `since`, absent at the snapshot; ' +
          'rows deleted outside the dual-write engine are not in the ledger and are not seen here (the drill catches them: the table checksum would differ)';
      }
      tables.push(table);
    }
    const sums = await checksums;
    await snapshot.main.query('commit');
    await snapshot.side.query('commit');
    const finalTables: BackupTableEntry[] = tables.map((table, at) => ({ ...table, rowCount: sums[at].count, checksum: sums[at].checksum }));
    for (const table of finalTables) {
      if (request.kind === 'full' && table.data.rows !== table.rowCount) {
        throw new BackupError('invalid_backup', `Table ${table.table}: COPY wrote ${table.data.rows} rows but the snapshot holds ${table.rowCount}.`);
      }
    }
    const orderedShapes = context.entities.map((entity) => shapes.get(entity.table) as TableShape);
    const schemaFiles = request.kind === 'full' ? await writeSchemaFiles(dir, schema, orderedShapes, finalTables) : null;
    const manifest: BackupManifest = {
      format: MANIFEST_FORMAT,
      id,
      kind: request.kind,
      store: request.store,
      source: { database: snapshot.database, schema },
      createdAt: new Date(started).toISOString(),
      snapshotAt: snapshot.snapshotAt,
      parentId: parent?.id ?? null,
      fullId,
      since,
      schemaVersion,
      schemaHash: schemaHashOf(shapes),
      schemaFiles,
      tables: finalTables,
      totalRows: finalTables.reduce((sum, table) => sum + table.rowCount, 0),
      totalBytes: finalTables.reduce((sum, table) => sum + table.data.bytes + (table.deleted?.bytes ?? 0), 0),
      durationMs: Date.now() - started,
      psqlRestore: psqlRestoreLines(request.kind, id, fullId),
    };
    await writeTextFile(psqlReadme(manifest), path.join(dir, 'README.md'));
    await context.storage.complete(manifest);
    await context.index.complete(manifest);
    report({ phase: 'done', rowsDone: progress.rowsDone, rowsExpected: progress.rowsDone, percent: 100 });
    failed = false;
    return manifest;
  } catch (error) {
    await context.storage.discardPartial(id);
    const failure = asBackupFailure(error, context.storage.root);
    await context.index.fail(id, failure.message).catch(() => undefined);
    throw failure;
  } finally {
    if (snapshot) await closeSnapshot(snapshot, failed);
  }
}

function asBackupFailure(error: unknown, root: string): Error {
  if (isBackupError(error)) return error;
  const code = (error as { code?: string }).code;
  if (code && /^E[A-Z]+$/.test(code)) return storageError(error, 'write the backup', root);
  return new BackupError('backup_failed', `Backup failed: ${safeMessage(error)}`, { cause: error });
}

async function openSnapshot(databaseUrl: string): Promise<Snapshot> {
  const main = new Client({ connectionString: databaseUrl });
  const side = new Client({ connectionString: databaseUrl });
  try {
    await main.connect();
    await side.connect();
  } catch (error) {
    await main.end().catch(() => undefined);
    await side.end().catch(() => undefined);
    throw new BackupError('storage_unavailable', `Cannot connect to the store's database: ${safeMessage(error)}`, { cause: error });
  }
  await main.query('begin isolation level repeatable read');
  const { rows } = await main.query<{ snapshot: string; snapshot_at: string; database: string }>(
    `select pg_export_snapshot() as snapshot, to_json(now())#>>'{}' as snapshot_at, current_database() as database`,
  );
  await side.query('begin isolation level repeatable read');
  await side.query(`set transaction snapshot ${main.escapeLiteral(rows[0].snapshot)}`);
  return { main, side, snapshotAt: rows[0].snapshot_at, database: rows[0].database };
}

/**
 * Ends the snapshot's sessions. After a failure a session may be inside an interrupted COPY (its stream destroyed
 * when the file could not be written), where a rollback would wait for ever: ending the session rolls its
 * transaction back anyway, and a session that does not end within 5 s has its socket destroyed.
 */
async function closeSnapshot(snapshot: Snapshot, failed: boolean): Promise<void> {
  for (const client of [snapshot.main, snapshot.side]) {
    if (!failed) await client.query('rollback').catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    const ended = await Promise.race([
      client.end().then(() => true, () => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), 5_000);
      }),
    ]);
    clearTimeout(timer);
    if (!ended) (client as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
  }
}

async function sinceOf(client: Client, parentSnapshotAt: string, overlapMs: number): Promise<string> {
  const { rows } = await client.query<{ since: string }>(
    `select to_json($1::timestamptz - make_interval(secs => $2::double precision / 1000))#>>'{}' as since`,
    [parentSnapshotAt, overlapMs],
  );
  return rows[0].since;
}

async function estimatedRows(client: Client, entities: EntityDefinition[], schema: string): Promise<number> {
  const { rows } = await client.query<{ estimate: string }>(
    `select coalesce(sum(greatest(c.reltuples, 0)), 0)::bigint::text as estimate from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = $1 and c.relname = any($2::text[])`,
    [schema, entities.map((entity) => entity.table)],
  );
  return Number(rows[0]?.estimate ?? 0);
}

function tableChecksums(client: Client, entities: EntityDefinition[], schema: string): Promise<{ count: number; checksum: string }[]> {
  return (async () => {
    const sums: { count: number; checksum: string }[] = [];
    for (const entity of entities) {
      const query = buildRangeChecksumSql(entity, undefined, { schema });
      const { rows } = await client.query<{ row_count: string; checksum: string }>(query.text, query.values);
      sums.push({ count: Number(rows[0].row_count), checksum: rows[0].checksum });
    }
    return sums;
  })();
}

async function writeData(
  client: Client,
  schema: string,
  entity: EntityDefinition,
  columns: string[],
  since: string | null,
  file: string,
  onRows: (rows: number) => void,
): Promise<Omit<BackupFileEntry, 'path'>> {
  const table = `${quoteIdentifier(schema)}.${quoteIdentifier(entity.table)}`;
  const list = columns.map(quoteIdentifier).join(', ');
  const copySql =
    since === null
      ? `copy ${table} (${list}) to stdout`
      : `copy (select ${list} from ${table} where ${quoteIdentifier(versionColumnOf(entity))} > ${client.escapeLiteral(since)}::timestamptz) to stdout`;
  return writeCopyFile(client, copySql, file, onRows);
}

const UUID_TEXT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const INT_TEXT = /^-?\d{1,18}$/;

/**
 * Keys of the ledger's delete and batch operations on entity `$1` claimed at or after `$2`. Its `operation` and
 * `created_at` terms match the ledger's partial index `dual_write_ops_deletes_idx`, so it reads only those entries.
 */
export const LEDGER_DELETED_KEYS_SQL = `select distinct key from dual_write_ops, unnest(entity_ids) as key
      where entity = $1 and operation in ('delete', 'batch') and created_at >= $2::timestamptz`;

/** Keys the ledger saw deleted (delete or batch operations) since `since` that the snapshot does not hold. */
async function deletedKeys(context: BackupContext, snapshot: Client, schema: string, entity: EntityDefinition, shape: TableShape, since: string): Promise<string[]> {
  const { rows } = await context.control.query<{ key: string }>(LEDGER_DELETED_KEYS_SQL, [entity.name, since]);
  // A key that cannot be one of this table's keys (a malformed ledger entry) cannot have been deleted from it.
  const keyType = entity.fields[entity.primaryKey]?.type;
  const fits = (key: string) => (keyType === 'uuid' ? UUID_TEXT.test(key) : keyType === 'int' ? INT_TEXT.test(key) : true);
  const candidates = rows.map((row) => row.key).filter(fits);
  if (candidates.length === 0) return [];
  const keyColumn = keyColumnOf(entity);
  const columnType = shape.columns.find((column) => column.name === keyColumn)?.type ?? 'text';
  const absent = await snapshot.query<{ key: string }>(
    `select key from unnest($1::text[]) as key
      where not exists (select 1 from ${quoteIdentifier(schema)}.${quoteIdentifier(entity.table)} t where t.${quoteIdentifier(keyColumn)} = key::${columnType})
      order by key`,
    [candidates],
  );
  return absent.rows.map((row) => row.key);
}

async function writeSchemaFiles(dir: string, schema: string, shapes: TableShape[], tables: BackupTableEntry[]): Promise<NonNullable<BackupManifest['schemaFiles']>> {
  const pre = await writeTextFile(preDataSql(schema, shapes), path.join(dir, 'schema.sql'));
  const post = await writeTextFile(postDataSql(schema, shapes), path.join(dir, 'post-data.sql'));
  const serialKeyTables = shapes.filter((shape) => shape.columns.some((column) => column.identity) || shape.sequences.length).map((shape) => shape.table);
  const script = await writeTextFile(psqlRestoreScript(schema, tables, serialKeyTables), path.join(dir, 'restore.psql'));
  return {
    preData: { path: 'schema.sql', ...pre },
    postData: { path: 'post-data.sql', ...post },
    psqlScript: { path: 'restore.psql', ...script },
  };
}
