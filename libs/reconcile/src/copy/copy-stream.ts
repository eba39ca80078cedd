import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Pool, PoolClient } from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { keyOrderSql, qualifiedTable, quoteIdentifier, type EntityDefinition } from '@dualwrite/stores';
import { keyText, keyTypeOf } from '../key-order';
import type { KeyWindow } from './key-lister';

/** A store's PostgreSQL as the streamed copy reaches it: a pool and the schema its tables are in (search_path when absent). */
export interface SqlSide {
  pool: Pool;
  schema?: string;
}

/** How a chunk reached the target: COPY straight into the table, or COPY into a staging table then a merge. */
export type StreamedVia = 'copy' | 'merge';

export interface StreamedChunk {
  via: StreamedVia;
  /** Rows the chunk added to the target (a merge adds none for a key the target already held). */
  rowsCopied: number;
  /** Keys of the window the target holds and the source's snapshot lacked (merge only), in key order. */
  targetOnly: string[];
}

/**
 * The target refused the chunk's rows as they were in the source's snapshot (a key or foreign key the live traffic
 * changed meanwhile, or a deadlock with a sync): the chunk must go through KeySync, which reads current rows.
 */
export class ChunkConflictError extends Error {
  constructor(
    readonly entity: string,
    readonly sqlState: string,
    cause: unknown,
  ) {
    super(`chunk of ${entity} refused by the target (SQLSTATE ${sqlState}): ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'ChunkConflictError';
  }
}

export interface ChunkPacing {
  /** Waits until `rows` more rows may pass (the copy's rate and back-off). */
  pace(rows: number): Promise<void>;
  /**
   * Awaited once per attempt when the chunk's first rows have arrived from the source (its snapshot is taken) and
   * before any reaches the target: where a spec interleaves live writes with the copy deterministically.
   */
  onFirstRows?(via: StreamedVia): Promise<void>;
}

const NEWLINE = 0x0a;

/** Passes COPY text through, counting rows (one newline each: newlines in values are escaped) and pacing them. */
class RowPacer extends Transform {
  rows = 0;
  constructor(
    private readonly pacing: ChunkPacing,
    private readonly via: StreamedVia,
  ) {
    super();
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    let lines = 0;
    for (let at = chunk.indexOf(NEWLINE); at !== -1; at = chunk.indexOf(NEWLINE, at + 1)) lines += 1;
    const first = this.rows === 0 && lines > 0 && this.pacing.onFirstRows ? this.pacing.onFirstRows(this.via) : Promise.resolve();
    this.rows += lines;
    first.then(() => this.pacing.pace(lines)).then(
      () => callback(null, chunk),
      (error: unknown) => callback(error instanceof Error ? error : new Error(String(error))),
    );
  }
}

/** Integrity violations (class 23) and transaction rollbacks such as deadlocks (class 40): the snapshot met live writes. */
function conflictState(error: unknown): string | null {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('23') || code.startsWith('40')) ? code : null;
}

/**
 * One chunk of the initial copy as a COPY stream between the two PostgreSQL databases: `COPY (select … where key in
 * the window) TO STDOUT` on the source (in heap order, as pg_dump reads: no sort) piped, with backpressure and never
 * a whole chunk in memory, into `COPY … FROM STDIN` on the target, in one target transaction:
 *
 * - the window empty on the target (the usual case of an initial copy): straight into the table. A key a sync wrote
 *   meanwhile makes the COPY fail on the unique key, and the chunk is redone as a merge.
 * - otherwise: into a session-temporary staging table, then `insert … select … on conflict (key) do nothing`. A row
 *   the target already holds was written there by the protocol's sync, which reads the source's current row under
 *   the key's lock: it is as new as the snapshot or newer, so it is never overwritten.
 *
 * Nothing here deletes, and a row the snapshot holds may have been deleted on the source (and its delete synced)
 * before the chunk commits: InitialCopy syncs every key the ledger shows written since the run began (with a
 * look-back) through KeySync at the end, which deletes such a row with the ledger's proof.
 */
export class StreamedChunkCopier {
  constructor(
    private readonly source: SqlSide,
    private readonly target: SqlSide,
  ) {}

  /** Copies the source's rows in `window`; a conflict with live writes is thrown as ChunkConflictError (nothing written). */
  async copy(entity: EntityDefinition, window: KeyWindow, pacing: ChunkPacing): Promise<StreamedChunk> {
    try {
      return await this.apply(entity, window, pacing, true);
    } catch (error) {
      if (conflictState(error) === null) throw error;
    }
    try {
      return await this.apply(entity, window, pacing, false);
    } catch (error) {
      const state = conflictState(error);
      throw state === null ? error : new ChunkConflictError(entity.name, state, error);
    }
  }

  private async apply(entity: EntityDefinition, window: KeyWindow, pacing: ChunkPacing, straight: boolean): Promise<StreamedChunk> {
    const client = await this.target.pool.connect();
    let usable = true;
    try {
      await client.query('begin');
      const sql = new ChunkSql(entity, window, this.target.schema, (value) => client.escapeLiteral(value));
      const empty = straight && (await client.query(`select 1 from ${sql.table} where ${sql.range} limit 1`)).rowCount === 0;
      let result: StreamedChunk;
      if (empty) {
        const rowsCopied = await this.stream(entity, window, pacing, 'copy', client, `copy ${sql.table} (${sql.columns}) from stdin`);
        result = { via: 'copy', rowsCopied, targetOnly: [] };
      } else {
        result = await this.merge(entity, window, pacing, client, sql);
      }
      if (entity.keyStrategy === 'serial') await client.query(sql.keepSequenceAbove());
      await client.query('commit');
      return result;
    } catch (error) {
      await client.query('rollback').catch(() => (usable = false));
      throw error;
    } finally {
      client.release(usable ? undefined : true);
    }
  }

  private async merge(entity: EntityDefinition, window: KeyWindow, pacing: ChunkPacing, client: PoolClient, sql: ChunkSql): Promise<StreamedChunk> {
    const staging = quoteIdentifier(`dw_copy_staging_${entity.table}`.slice(0, 63));
    await client.query(`create temp table if not exists ${staging} (like ${sql.table} including defaults)`);
    await client.query(`truncate ${staging}`);
    await this.stream(entity, window, pacing, 'merge', client, `copy ${staging} (${sql.columns}) from stdin`);
    const inserted = await client.query(`insert into ${sql.table} (${sql.columns}) select ${sql.columns} from ${staging} on conflict (${sql.key}) do nothing`);
    const { rows } = await client.query<{ key: unknown }>(
      `select t.${sql.key} as key from ${sql.table} t where ${sql.range}
          and not exists (select 1 from ${staging} s where s.${sql.key} = t.${sql.key}) order by ${sql.order}`,
    );
    return { via: 'merge', rowsCopied: inserted.rowCount ?? 0, targetOnly: rows.map((row) => keyText(entity, String(row.key))) };
  }

  /** Pipes the source's COPY out into `copyIn` on the target client; returns the rows the target took. */
  private async stream(entity: EntityDefinition, window: KeyWindow, pacing: ChunkPacing, via: StreamedVia, target: PoolClient, copyIn: string): Promise<number> {
    const client = await this.source.pool.connect();
    let finished = false;
    try {
      const sql = new ChunkSql(entity, window, this.source.schema, (value) => client.escapeLiteral(value));
      const out = client.query(copyTo(`copy (select ${sql.columns} from ${sql.table} where ${sql.range}) to stdout`));
      const into = target.query(copyFrom(copyIn));
      await pipeline(out, new RowPacer(pacing, via), into);
      finished = true;
      return into.rowCount;
    } finally {
      // A COPY out stopped half way leaves its session mid-protocol: that connection is closed, not reused.
      client.release(finished ? undefined : true);
    }
  }
}

/** The SQL of one chunk on one side; keys are inlined as escaped literals (COPY takes no parameters). */
class ChunkSql {
  readonly table: string;
  readonly columns: string;
  readonly key: string;
  readonly order: string;
  readonly range: string;

  constructor(
    private readonly entity: EntityDefinition,
    window: KeyWindow,
    schema: string | undefined,
    escape: (value: string) => string,
  ) {
    const field = entity.fields[entity.primaryKey];
    if (!field) throw new Error(`Entity "${entity.name}": primary key "${entity.primaryKey}" is not one of its fields.`);
    this.table = qualifiedTable(entity, { schema });
    this.columns = Object.values(entity.fields)
      .map((each) => quoteIdentifier(each.column))
      .join(', ');
    this.key = quoteIdentifier(field.column);
    this.order = keyOrderSql(field);
    const type = keyTypeOf(entity);
    const cast = type === 'int' ? 'bigint' : type === 'uuid' ? 'uuid' : 'text';
    const bounds: string[] = [];
    if (window.after !== undefined) bounds.push(`${this.order} > ${escape(window.after)}::${cast}`);
    if (window.upTo !== undefined) bounds.push(`${this.order} <= ${escape(window.upTo)}::${cast}`);
    this.range = bounds.length > 0 ? bounds.join(' and ') : 'true';
  }

  /** Moves the key's sequence above the chunk's highest key, never back (as StorePlugin.keepSequenceAbove). */
  keepSequenceAbove(): string {
    const tableText = this.table.replace(/'/g, "''");
    const columnText = (this.entity.fields[this.entity.primaryKey]?.column ?? '').replace(/'/g, "''");
    return `select setval(s, greatest(highest, coalesce(pg_sequence_last_value(s), 0), 1))
              from (select pg_get_serial_sequence('${tableText}', '${columnText}')::regclass as s,
                           (select max(${this.key}) from ${this.table} where ${this.range}) as highest) as chunk
             where highest is not null and s is not null`;
  }
}
