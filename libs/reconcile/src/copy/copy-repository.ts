import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import type { PlannedChunk } from './chunk-plan';

const LEDGER_MODES = ['primary-only', 'dual-primary-a', 'dual-primary-b', 'secondary-only'];

/** The class of the copy's session advisory locks (two-int form: never the same lock as KeySync's bigint keys). */
const COPY_LOCK_CLASS = 7_201_911;

export type CopyRunStatus = 'running' | 'completed' | 'failed';

export interface CopyRunRecord {
  runId: string;
  entity: string;
  sourceStore: string;
  targetStore: string;
  status: CopyRunStatus;
  chunkSize: number;
  chunksPlanned: number;
  rowsPlanned: number;
  startedAt: Date;
  finishedAt: Date | null;
  owner: string;
}

export interface StoredChunk extends PlannedChunk {
  done: boolean;
}

export interface ChunkOutcome {
  rowsCopied: number;
  rowsDeleted: number;
  keysLeft: number;
}

/** A copy of the entity is already running in another process (or another call of this one). */
export class CopyAlreadyRunningError extends Error {
  constructor(
    readonly entity: string,
    readonly running: CopyRunRecord | null,
  ) {
    super(
      running
        ? `a copy of ${entity} is already running: run ${running.runId} (${running.sourceStore} → ${running.targetStore}, started ${running.startedAt.toISOString()}, by ${running.owner}); wait for it or stop it first`
        : `a copy of ${entity} is already running (its run is being created); wait for it or stop it first`,
    );
    this.name = 'CopyAlreadyRunningError';
  }
}

interface RunRow {
  run_id: string;
  entity: string;
  source_store: string;
  target_store: string;
  status: CopyRunStatus;
  chunk_size: number;
  chunks_planned: number;
  rows_planned: string;
  started_at: Date;
  finished_at: Date | null;
  owner: string;
}

const RUN_COLUMNS = 'run_id, entity, source_store, target_store, status, chunk_size, chunks_planned, rows_planned, started_at, finished_at, owner';

function toRun(row: RunRow): CopyRunRecord {
  return {
    runId: row.run_id,
    entity: row.entity,
    sourceStore: row.source_store,
    targetStore: row.target_store,
    status: row.status,
    chunkSize: row.chunk_size,
    chunksPlanned: row.chunks_planned,
    rowsPlanned: Number(row.rows_planned),
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    owner: row.owner,
  };
}

/** Copy runs and their chunks in the control database (dual_write_copy_runs, dual_write_copy_chunks). */
export class CopyRunRepository {
  readonly owner = `${hostname()}:${process.pid}`;

  constructor(private readonly control: Pool) {}

  /**
   * Takes the entities' copy locks: session advisory locks held on one connection of their own until `release`, so
   * a second process (or a second call) sees them; a process that dies loses them with its session. All or none:
   * refused, naming the running copy, when another holds any of them.
   */
  async lockEntities(entities: string[]): Promise<{ release(): Promise<void> }> {
    const client = await this.control.connect();
    const held: string[] = [];
    try {
      for (const entity of entities) {
        const { rows } = await client.query<{ locked: boolean }>('select pg_try_advisory_lock($1, hashtext($2)) as locked', [COPY_LOCK_CLASS, `copy:${entity}`]);
        if (rows[0]?.locked !== true) throw new CopyAlreadyRunningError(entity, await this.running(entity));
        held.push(entity);
      }
    } catch (error) {
      await this.unlock(client, held);
      throw error;
    }
    return { release: () => this.unlock(client, held) };
  }

  /** The newest run of the entity marked running (a live copy holds the lock; a killed one left it so). */
  async running(entity: string): Promise<CopyRunRecord | null> {
    const { rows } = await this.control.query<RunRow>(
      `select ${RUN_COLUMNS} from dual_write_copy_runs where entity = $1 and status = 'running' order by started_at desc limit 1`,
      [entity],
    );
    return rows[0] ? toRun(rows[0]) : null;
  }

  /** The unfinished run of this entity and direction (running when killed, or failed): the one a copy resumes. */
  async unfinished(entity: string, sourceStore: string, targetStore: string): Promise<CopyRunRecord | null> {
    const { rows } = await this.control.query<RunRow>(
      `select ${RUN_COLUMNS} from dual_write_copy_runs where entity = $1 and source_store = $2 and target_store = $3 and status <> 'completed'`,
      [entity, sourceStore, targetStore],
    );
    return rows[0] ? toRun(rows[0]) : null;
  }

  /** The newest completed run of the entity in that direction (what a phase gate asks for). */
  async lastCompleted(entity: string, sourceStore: string, targetStore: string): Promise<CopyRunRecord | null> {
    const { rows } = await this.control.query<RunRow>(
      `select ${RUN_COLUMNS} from dual_write_copy_runs
        where entity = $1 and source_store = $2 and target_store = $3 and status = 'completed' order by finished_at desc limit 1`,
      [entity, sourceStore, targetStore],
    );
    return rows[0] ? toRun(rows[0]) : null;
  }

  /** Records a new run and its planned chunks in one transaction; its start is the control database's clock. */
  async create(entity: string, sourceStore: string, targetStore: string, chunkSize: number, chunks: PlannedChunk[]): Promise<CopyRunRecord> {
    const runId = randomUUID();
    const rowsPlanned = chunks.reduce((sum, chunk) => sum + chunk.rows, 0);
    await this.inTransaction(async (client) => {
      await client.query(
        `insert into dual_write_copy_runs (run_id, entity, source_store, target_store, status, chunk_size, chunks_planned, rows_planned, started_at, owner)
         values ($1, $2, $3, $4, 'running', $5, $6, $7, now(), $8)`,
        [runId, entity, sourceStore, targetStore, chunkSize, chunks.length, rowsPlanned, this.owner],
      );
      await client.query(
        `insert into dual_write_copy_chunks (run_id, chunk_no, after_key, up_to_key, rows_planned, status)
         select $1, chunk_no, after_key, up_to_key, rows_planned, 'pending'
           from unnest($2::int[], $3::text[], $4::text[], $5::int[]) as c (chunk_no, after_key, up_to_key, rows_planned)`,
        [runId, chunks.map((c) => c.chunkNo), chunks.map((c) => c.afterKey), chunks.map((c) => c.upToKey), chunks.map((c) => c.rows)],
      );
    });
    const { rows } = await this.control.query<RunRow>(`select ${RUN_COLUMNS} from dual_write_copy_runs where run_id = $1`, [runId]);
    return toRun(rows[0] as RunRow);
  }

  /** Takes over an unfinished run: running again, by this process. */
  async resume(runId: string): Promise<void> {
    await this.control.query(`update dual_write_copy_runs set status = 'running', owner = $2, error = null where run_id = $1`, [runId, this.owner]);
  }

  async chunks(runId: string): Promise<StoredChunk[]> {
    const { rows } = await this.control.query<{ chunk_no: number; after_key: string | null; up_to_key: string | null; rows_planned: number; status: string }>(
      'select chunk_no, after_key, up_to_key, rows_planned, status from dual_write_copy_chunks where run_id = $1 order by chunk_no',
      [runId],
    );
    return rows.map((row) => ({ chunkNo: row.chunk_no, afterKey: row.after_key, upToKey: row.up_to_key, rows: row.rows_planned, done: row.status === 'done' }));
  }

  async chunkDone(runId: string, chunkNo: number, outcome: ChunkOutcome): Promise<void> {
    await this.control.query(
      `with chunk as (
         update dual_write_copy_chunks set status = 'done', rows_copied = $3, rows_deleted = $4, keys_left = $5, finished_at = now()
          where run_id = $1 and chunk_no = $2 and status = 'pending' returning 1)
       update dual_write_copy_runs set rows_copied = rows_copied + $3, rows_deleted = rows_deleted + $4, keys_left = keys_left + $5
        where run_id = $1 and exists (select 1 from chunk)`,
      [runId, chunkNo, outcome.rowsCopied, outcome.rowsDeleted, outcome.keysLeft],
    );
  }

  async complete(runId: string, keysRechecked: number, keysLeft: number): Promise<void> {
    await this.control.query(
      `update dual_write_copy_runs set status = 'completed', finished_at = now(), keys_rechecked = $2, keys_left = keys_left + $3 where run_id = $1`,
      [runId, keysRechecked, keysLeft],
    );
  }

  async fail(runId: string, error: string): Promise<void> {
    await this.control.query(`update dual_write_copy_runs set status = 'failed', error = $2 where run_id = $1`, [runId, error.slice(0, 2000)]);
  }

  /** The keys of the entity the ledger shows written since `since` (a uuid key in lower case, as the ledger has it). */
  async keysWrittenSince(entity: string, since: Date): Promise<string[]> {
    const { rows } = await this.control.query<{ key: string }>(
      // By mode too: the ledger's (mode, created_at) index finds the window without reading the whole ledger.
      'select distinct unnest(entity_ids) as key from dual_write_ops where mode = any($3::text[]) and created_at >= $2 and entity = $1',
      [entity, since, LEDGER_MODES],
    );
    return rows.map((row) => row.key);
  }

  private async unlock(client: PoolClient, entities: string[]): Promise<void> {
    try {
      for (const entity of entities) await client.query('select pg_advisory_unlock($1, hashtext($2))', [COPY_LOCK_CLASS, `copy:${entity}`]);
      client.release();
    } catch (error) {
      // A connection that cannot unlock is closed: its session (and its locks) end with it.
      client.release(error instanceof Error ? error : true);
    }
  }

  private async inTransaction(work: (client: PoolClient) => Promise<void>): Promise<void> {
    const client = await this.control.connect();
    try {
      await client.query('begin');
      await work(client);
      await client.query('commit');
    } catch (error) {
      await client.query('rollback').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }
}
