import type { Pool } from 'pg';
import type { BackupKind, BackupManifest, BackupStoreId } from './backup-manifest';

export type BackupStatus = 'running' | 'complete' | 'failed';

/** One row of dual_write_backups: what the index says about a backup. */
export interface BackupSummary {
  id: string;
  kind: BackupKind;
  store: BackupStoreId;
  parentId: string | null;
  fullId: string | null;
  status: BackupStatus;
  startedAt: Date;
  finishedAt: Date | null;
  snapshotAt: Date | null;
  schemaVersion: string | null;
  schemaHash: string | null;
  totalRows: number | null;
  totalBytes: number | null;
  error: string | null;
  lastValidatedAt: Date | null;
  lastValidationOk: boolean | null;
  lastDrillAt: Date | null;
  lastDrillOk: boolean | null;
  lastDrillMs: number | null;
}

interface IndexRow {
  id: string;
  kind: BackupKind;
  store: BackupStoreId;
  parent_id: string | null;
  full_id: string | null;
  status: BackupStatus;
  started_at: Date;
  finished_at: Date | null;
  snapshot_at: Date | null;
  schema_version: string | null;
  schema_hash: string | null;
  total_rows: string | null;
  total_bytes: string | null;
  error: string | null;
  last_validated_at: Date | null;
  last_validation_ok: boolean | null;
  last_drill_at: Date | null;
  last_drill_ok: boolean | null;
  last_drill_ms: number | null;
}

function toSummary(row: IndexRow): BackupSummary {
  return {
    id: row.id,
    kind: row.kind,
    store: row.store,
    parentId: row.parent_id,
    fullId: row.full_id,
    status: row.status,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    snapshotAt: row.snapshot_at,
    schemaVersion: row.schema_version,
    schemaHash: row.schema_hash,
    totalRows: row.total_rows === null ? null : Number(row.total_rows),
    totalBytes: row.total_bytes === null ? null : Number(row.total_bytes),
    error: row.error,
    lastValidatedAt: row.last_validated_at,
    lastValidationOk: row.last_validation_ok,
    lastDrillAt: row.last_drill_at,
    lastDrillOk: row.last_drill_ok,
    lastDrillMs: row.last_drill_ms,
  };
}

/** The backups index (dual_write_backups in the control database). */
export class BackupIndex {
  constructor(private readonly pool: Pool) {}

  async start(entry: { id: string; kind: BackupKind; store: BackupStoreId; parentId: string | null; fullId: string | null }): Promise<void> {
    await this.pool.query(
      `insert into dual_write_backups (id, kind, store, parent_id, full_id, status) values ($1, $2, $3, $4, $5, 'running')`,
      [entry.id, entry.kind, entry.store, entry.parentId, entry.fullId],
    );
  }

  async complete(manifest: BackupManifest): Promise<void> {
    await this.pool.query(
      `update dual_write_backups set status = 'complete', finished_at = now(), snapshot_at = $2, schema_version = $3,
              schema_hash = $4, total_rows = $5, total_bytes = $6, full_id = $7 where id = $1`,
      [manifest.id, manifest.snapshotAt, manifest.schemaVersion, manifest.schemaHash, manifest.totalRows, manifest.totalBytes, manifest.fullId],
    );
  }

  async fail(id: string, error: string): Promise<void> {
    await this.pool.query(`update dual_write_backups set status = 'failed', finished_at = now(), error = $2 where id = $1`, [id, error.slice(0, 2000)]);
  }

  async get(id: string): Promise<BackupSummary | null> {
    const { rows } = await this.pool.query<IndexRow>('select * from dual_write_backups where id = $1', [id]);
    return rows[0] ? toSummary(rows[0]) : null;
  }

  /** Newest first. */
  async list(filter: { store?: BackupStoreId; status?: BackupStatus; limit?: number } = {}): Promise<BackupSummary[]> {
    const { rows } = await this.pool.query<IndexRow>(
      `select * from dual_write_backups where ($1::text is null or store = $1) and ($2::text is null or status = $2)
        order by started_at desc, id desc limit $3`,
      [filter.store ?? null, filter.status ?? null, filter.limit ?? 1000],
    );
    return rows.map(toSummary);
  }

  /** The newest complete backup of a store: the parent of the next incremental. */
  async latestComplete(store: BackupStoreId): Promise<BackupSummary | null> {
    const { rows } = await this.pool.query<IndexRow>(
      `select * from dual_write_backups where store = $1 and status = 'complete' order by snapshot_at desc, id desc limit 1`,
      [store],
    );
    return rows[0] ? toSummary(rows[0]) : null;
  }

  async recordValidation(id: string, ok: boolean): Promise<void> {
    await this.pool.query('update dual_write_backups set last_validated_at = now(), last_validation_ok = $2 where id = $1', [id, ok]);
  }

  async recordDrill(id: string, ok: boolean, ms: number): Promise<void> {
    await this.pool.query('update dual_write_backups set last_drill_at = now(), last_drill_ok = $2, last_drill_ms = $3 where id = $1', [id, ok, ms]);
  }

  /** Deletes the rows (incrementals that name one as parent go with it: on delete cascade). */
  async remove(ids: string[]): Promise<void> {
    if (ids.length) await this.pool.query('delete from dual_write_backups where id = any($1::text[])', [ids]);
  }

  /** Runs left 'running' by a process that stopped: marked failed after `olderThanMs`. */
  async failAbandoned(olderThanMs: number): Promise<string[]> {
    const { rows } = await this.pool.query<{ id: string }>(
      `update dual_write_backups set status = 'failed', finished_at = now(), error = 'abandoned: the process taking it stopped'
        where status = 'running' and started_at < now() - make_interval(secs => $1::double precision / 1000) returning id`,
      [olderThanMs],
    );
    return rows.map((row) => row.id);
  }
}
