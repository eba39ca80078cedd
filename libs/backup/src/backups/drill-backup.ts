import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { buildRangeChecksumSql } from '@dualwrite/stores';
import type { BackupContext, ProgressListener } from './backup-context';
import { BackupError, safeMessage } from './backup-errors';
import { restoreBackup } from './restore-backup';
import { chainOf, describeBadFile, validateBackup, type ValidationReport } from './validate-backup';

export interface DrillOptions {
  /** A connection to the server the scratch database is created on (any database there); the store's server by default. */
  scratchServerUrl?: string;
  onProgress?: ProgressListener;
}

export interface DrillTableResult {
  table: string;
  expectedRows: number;
  actualRows: number;
  expectedChecksum: string;
  actualChecksum: string;
  ok: boolean;
}

export interface DrillReport {
  id: string;
  ok: boolean;
  validation: ValidationReport;
  /** The scratch database (dropped again). */
  scratchDatabase: string | null;
  restoreMs: number | null;
  tables: DrillTableResult[];
  /** Why the drill failed, in one line; null when ok. */
  failure: string | null;
}

/**
 * Proves a backup by restoring it: validates its files, restores the chain into a new scratch database, compares
 * each table's content checksum there with the manifest, drops the scratch database, and records the outcome
 * in the backups index. A backup whose data was altered after hashing validates but fails here.
 */
export async function drillBackup(context: BackupContext, id: string, options: DrillOptions = {}): Promise<DrillReport> {
  const chain = await chainOf(context, id);
  const last = chain[chain.length - 1];
  const validation = await validateBackup(context, id, { onProgress: options.onProgress });
  const base: DrillReport = { id, ok: false, validation, scratchDatabase: null, restoreMs: null, tables: [], failure: null };
  if (validation.firstBadFile) {
    const report = { ...base, failure: describeBadFile(validation.firstBadFile) };
    await context.index.recordDrill(id, false, 0).catch(() => undefined);
    return report;
  }
  const serverUrl = options.scratchServerUrl ?? context.sources[last.store]?.databaseUrl;
  if (!serverUrl) throw new BackupError('unsupported_entity', `No database server to drill backup ${id} on (store ${last.store} is not configured).`);
  const scratch = `dw_backup_drill_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const admin = new Client({ connectionString: withDatabase(serverUrl, 'postgres') });
  try {
    await admin.connect();
  } catch (error) {
    throw new BackupError('restore_failed', `Drill of ${id}: cannot connect to the scratch server: ${safeMessage(error)}`, { cause: error });
  }
  try {
    await admin.query(`create database "${scratch}"`);
    const scratchUrl = withDatabase(serverUrl, scratch);
    const started = Date.now();
    let failure: string | null = null;
    let restoreMs: number | null = null;
    let tables: DrillTableResult[] = [];
    try {
      await restoreBackup(context, id, { targetUrl: scratchUrl, verify: 'counts', onProgress: options.onProgress });
      restoreMs = Date.now() - started;
      tables = await compareTables(context, scratchUrl, last);
      const bad = tables.find((table) => !table.ok);
      if (bad) {
        failure =
          `Table ${bad.table} restored from ${id} has ${bad.actualRows} rows with checksum ${bad.actualChecksum}, ` +
          `the manifest says ${bad.expectedRows} rows with checksum ${bad.expectedChecksum}.`;
      }
    } catch (error) {
      failure = `Restore into the scratch database failed: ${safeMessage(error)}`;
    }
    const ok = failure === null;
    await context.index.recordDrill(id, ok, restoreMs ?? 0).catch(() => undefined);
    return { ...base, ok, scratchDatabase: scratch, restoreMs, tables, failure };
  } finally {
    await admin.query(`drop database if exists "${scratch}" with (force)`).catch(() => undefined);
    await admin.end().catch(() => undefined);
  }
}

async function compareTables(context: BackupContext, scratchUrl: string, last: Awaited<ReturnType<typeof chainOf>>[number]): Promise<DrillTableResult[]> {
  const client = new Client({ connectionString: scratchUrl });
  await client.connect();
  try {
    const results: DrillTableResult[] = [];
    for (const table of last.tables) {
      const entity = context.entities.find((candidate) => candidate.table === table.table);
      if (!entity) throw new BackupError('unsupported_entity', `Table ${table.table} of backup ${last.id} is not a registered entity.`);
      const query = buildRangeChecksumSql(entity, undefined, { schema: last.source.schema });
      const { rows } = await client.query<{ row_count: string; checksum: string }>(query.text, query.values);
      const actualRows = Number(rows[0].row_count);
      const actualChecksum = rows[0].checksum;
      results.push({
        table: table.table,
        expectedRows: table.rowCount,
        actualRows,
        expectedChecksum: table.checksum,
        actualChecksum,
        ok: actualRows === table.rowCount && actualChecksum === table.checksum,
      });
    }
    return results;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The same server and credentials, another database. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}
