import { createClient, type WebSocketLikeConstructor } from '@supabase/supabase-js';
import { Pool } from 'pg';
import WebSocket from 'ws';
import type { EntityDefinition, Row, RowKey } from '../entity/entity.types';
import { RangeChecksumAccumulator, patchWithoutKey, primaryKeyOf, toCanonicalRowFromColumns, toColumnRow } from '../store/canonical-row';
import { buildHighestKeySql, buildKeysetPageSql, buildRangeChecksumSql, buildRangeCountSql, readCount, readHighestKey, readRangeChecksumRow } from '../store/sql-checksum';
import { StoreInvalidError, StoreNotFoundError } from '../store/store-errors';
import type { KeyRange, Page, PageRequest, RangeChecksum, StoreHealth, StorePlugin } from '../store/store.types';
import { HttpTransport } from './http-transport';
import { toStoreErrorFromPg, toStoreErrorFromPostgrest, type PostgrestErrorLike } from './supabase-errors';

export interface SupabaseStoreOptions {
  /** Project URL, e.g. https://xyz.supabase.co or http://127.0.0.1:54321. */
  url: string;
  /** service_role key: the store acts for the platform, past row-level security. */
  serviceRoleKey: string;
  /** Store name used in errors, health and reports. Default `supabase`. */
  name?: string;
  /**
   * Direct Postgres connection (SUPABASE_DB_URL). When given, count, checksum and stream run as SQL on it;
   * otherwise they go through the REST API (checksum computed here from keyset pages).
   */
  databaseUrl?: string;
  /** Schema of the tables, exposed through the API. Default `public`. */
  schema?: string;
  /** An HTTP request fails as unavailable when connecting, its answer's headers or any pause in its body take longer. Default 10 s. */
  requestTimeoutMs?: number;
  /**
   * Let supabase-js retry reads that failed with a network error or 503/520 (1 s, 2 s, 4 s back-off).
   * Off by default: the dual-write engine has its own timeouts, breakers and replay queue.
   */
  retryTransientReads?: boolean;
  /** Rows per keyset page when streaming or checksumming. Default 500. */
  defaultBatchSize?: number;
  /** Ids per `in.(...)` request in findManyByIds, to keep URLs short. Default 100. */
  idsPerRequest?: number;
}

interface PostgrestResult {
  data: unknown;
  error: PostgrestErrorLike | null;
  status: number;
  count?: number | null;
}

/**
 * Node 20 has no global WebSocket and supabase-js refuses to construct without one, although the store never
 * opens a realtime channel. ws is that implementation; its typings (ws's own Event type) differ from the DOM
 * ones realtime-js declares, hence the cast.
 */
const realtimeTransport = WebSocket as unknown as WebSocketLikeConstructor;

function createServiceClient(url: string, serviceRoleKey: string, schema: string, transport: HttpTransport) {
  return createClient(url, serviceRoleKey, {
    db: { schema },
    realtime: { transport: realtimeTransport },
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    global: { fetch: transport.fetch },
  });
}

/**
 * Store plugin over Supabase: row operations through supabase-js (PostgREST), bulk reads through an
 * optional direct Postgres connection. Rows are mapped between domain field names and column names.
 */
export class SupabaseStore implements StorePlugin {
  readonly name: string;
  private readonly client: ReturnType<typeof createServiceClient>;
  private readonly pool: Pool | undefined;
  private readonly schema: string;
  private readonly retryReads: boolean;
  private readonly defaultBatchSize: number;
  private readonly idsPerRequest: number;
  private readonly requestTimeoutMs: number;
  private readonly transport: HttpTransport;

  constructor(private readonly options: SupabaseStoreOptions) {
    if (!options.url) throw new Error('SupabaseStore: url is empty; set SUPABASE_URL.');
    if (!options.serviceRoleKey) throw new Error('SupabaseStore: serviceRoleKey is empty; set SUPABASE_SERVICE_ROLE_KEY.');
    this.name = options.name ?? 'supabase';
    this.schema = options.schema ?? 'public';
    this.retryReads = options.retryTransientReads ?? false;
    this.defaultBatchSize = options.defaultBatchSize ?? 500;
    this.idsPerRequest = options.idsPerRequest ?? 100;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
    this.transport = new HttpTransport(this.requestTimeoutMs);
    this.client = createServiceClient(options.url, options.serviceRoleKey, this.schema, this.transport);
    this.pool = options.databaseUrl
      ? new Pool({ connectionString: options.databaseUrl, max: 4, connectionTimeoutMillis: this.requestTimeoutMs })
      : undefined;
    // An idle client losing its connection must not crash the process; the next query reports it.
    this.pool?.on('error', () => undefined);
  }

  /** True when count, checksum and stream run as SQL on the direct connection. */
  get usesDirectConnection(): boolean {
    return this.pool !== undefined;
  }

  async get(entity: EntityDefinition, id: RowKey): Promise<Row | null> {
    const result = await this.table(entity).select(this.selectList(entity)).eq(this.keyColumn(entity), id).retry(this.retryReads).maybeSingle();
    const data = this.dataOf(result);
    return data === null ? null : this.toRow(entity, data);
  }

  async insert(entity: EntityDefinition, row: Row): Promise<Row> {
    const result = await this.table(entity).insert(this.toColumns(entity, row)).select(this.selectList(entity)).single();
    return this.toRow(entity, this.dataOf(result));
  }

  async insertMany(entity: EntityDefinition, rows: Row[]): Promise<Row[]> {
    if (rows.length === 0) return [];
    // defaultToNull: false sends `Prefer: missing=default`, so a column some rows omit takes its default, not NULL.
    const result = await this.table(entity)
      .insert(rows.map((row) => this.toColumns(entity, row)), { defaultToNull: false })
      .select(this.selectList(entity));
    return this.toRows(entity, this.dataOf(result));
  }

  async update(entity: EntityDefinition, id: RowKey, patch: Row): Promise<Row> {
    const columns = this.toColumns(entity, patchWithoutKey(this.name, entity, id, patch));
    if (Object.keys(columns).length === 0) {
      const existing = await this.get(entity, id);
      if (existing === null) throw new StoreNotFoundError(this.name, `${entity.name} ${id} does not exist`);
      return existing;
    }
    const result = await this.table(entity)
      .update(columns)
      .eq(this.keyColumn(entity), id)
      .select(this.selectList(entity))
      .single();
    return this.toRow(entity, this.dataOf(result));
  }

  async upsert(entity: EntityDefinition, row: Row): Promise<Row> {
    if (primaryKeyOf(entity, row) === undefined) return this.insert(entity, row);
    const result = await this.table(entity)
      .upsert(this.toColumns(entity, row), { onConflict: this.keyColumn(entity) })
      .select(this.selectList(entity))
      .single();
    return this.toRow(entity, this.dataOf(result));
  }

  async delete(entity: EntityDefinition, id: RowKey): Promise<Row> {
    const result = await this.table(entity).delete().eq(this.keyColumn(entity), id).select(this.selectList(entity)).single();
    return this.toRow(entity, this.dataOf(result));
  }

  /** One upsert request with every row: PostgREST runs it as one statement, so all rows or none. */
  async batchUpsert(entity: EntityDefinition, rows: Row[]): Promise<number> {
    if (rows.length === 0) return 0;
    const columns = rows.map((row) => this.toColumns(entity, row));
    // defaultToNull: false sends `Prefer: missing=default`, so a column some rows omit takes its default, not NULL.
    const result = await this.table(entity).upsert(columns, { onConflict: this.keyColumn(entity), defaultToNull: false });
    this.dataOf(result);
    return rows.length;
  }

  async upsertMany(entity: EntityDefinition, rows: Row[]): Promise<Row[]> {
    if (rows.length === 0) return [];
    const columns = rows.map((row) => this.toColumns(entity, row));
    const result = await this.table(entity).upsert(columns, { onConflict: this.keyColumn(entity), defaultToNull: false }).select(this.selectList(entity));
    return this.toRows(entity, this.dataOf(result));
  }

  async findManyByIds(entity: EntityDefinition, ids: RowKey[]): Promise<Row[]> {
    const found: Row[] = [];
    for (let start = 0; start < ids.length; start += this.idsPerRequest) {
      const chunk = ids.slice(start, start + this.idsPerRequest);
      const result = await this.table(entity)
        .select(this.selectList(entity))
        .in(this.keyColumn(entity), chunk)
        .order(this.keyColumn(entity), { ascending: true })
        .retry(this.retryReads);
      found.push(...this.toRows(entity, this.dataOf(result)));
    }
    // Chunks are each in key order; merge them into one key order.
    return ids.length > this.idsPerRequest ? this.sortByKey(entity, found) : found;
  }

  async page(entity: EntityDefinition, request: PageRequest): Promise<Page> {
    return this.restPage(entity, {}, request);
  }

  async count(entity: EntityDefinition, range?: KeyRange): Promise<number> {
    if (this.pool) {
      const query = buildRangeCountSql(entity, range, { schema: this.schema });
      const [row] = await this.sql(query.text, query.values);
      return readCount(row?.['row_count']);
    }
    let request = this.table(entity).select('*', { count: 'exact', head: true });
    if (range?.from !== undefined) request = request.gte(this.keyColumn(entity), range.from);
    if (range?.to !== undefined) request = request.lt(this.keyColumn(entity), range.to);
    const result: PostgrestResult = await request.retry(this.retryReads);
    this.dataOf(result);
    if (typeof result.count !== 'number') {
      throw new StoreInvalidError(this.name, `count of ${entity.name}: the API sent no count (Content-Range header)`);
    }
    return result.count;
  }

  async checksum(entity: EntityDefinition, range?: KeyRange): Promise<RangeChecksum> {
    if (this.pool) {
      const query = buildRangeChecksumSql(entity, range, { schema: this.schema });
      const [row] = await this.sql(query.text, query.values);
      return readRangeChecksumRow(row);
    }
    const accumulator = new RangeChecksumAccumulator(entity);
    for await (const row of this.stream(entity, { range })) accumulator.add(row);
    return accumulator.result();
  }

  async *stream(entity: EntityDefinition, options: { batchSize?: number; range?: KeyRange } = {}): AsyncIterable<Row> {
    const limit = options.batchSize ?? this.defaultBatchSize;
    const range = options.range ?? {};
    let after: RowKey | undefined;
    for (;;) {
      const page = this.pool ? await this.sqlPage(entity, range, { after, limit }) : await this.restPage(entity, range, { after, limit });
      yield* page.rows;
      if (page.nextAfter === null) return;
      after = page.nextAfter;
    }
  }

  /** Healthy when the REST API answers with the key accepted (and the direct connection, when configured). */
  async ping(): Promise<StoreHealth> {
    const started = performance.now();
    const health = (ok: boolean, detail?: string): StoreHealth => ({
      store: this.name,
      ok,
      latencyMs: Math.round(performance.now() - started),
      ...(detail ? { detail } : {}),
    });
    try {
      const response = await this.transport.fetch(new URL('rest/v1/', this.baseUrl()), {
        headers: { apikey: this.options.serviceRoleKey, Authorization: `Bearer ${this.options.serviceRoleKey}` },
      });
      if (response.status === 401 || response.status === 403) return health(false, `REST API rejected the service role key (HTTP ${response.status})`);
      if (response.status >= 500) return health(false, `REST API answered HTTP ${response.status}`);
      if (this.pool) await this.sql('select 1', []);
      return health(true);
    } catch (error) {
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      return health(false, `${this.pool ? 'REST API or database' : 'REST API'} unreachable: ${reason}`);
    }
  }

  /** Through the API: `rpc/dw_keep_sequence_above` (supabase/migrations), callable by service_role only. */
  async highestKey(entity: EntityDefinition): Promise<number | null> {
    if (this.pool) {
      const query = buildHighestKeySql(entity, { schema: this.schema });
      const [row] = await this.sql(query.text, query.values);
      return readHighestKey(row?.['highest']);
    }
    const column = this.keyColumn(entity);
    const result: PostgrestResult = await this.table(entity).select(column).order(column, { ascending: false }).limit(1).retry(this.retryReads);
    const rows = this.dataOf(result) as Row[] | null;
    return readHighestKey(rows?.[0]?.[column]);
  }

  async keepSequenceAbove(entity: EntityDefinition, key: number): Promise<void> {
    const result = await this.client.rpc('dw_keep_sequence_above', {
      table_name: entity.table,
      column_name: this.keyColumn(entity),
      at_least: key,
    });
    this.dataOf(result);
  }

  async close(): Promise<void> {
    await Promise.all([this.pool?.end(), this.transport.close()]);
  }

  // -------------------------------------------------------------------------------------------

  private table(entity: EntityDefinition) {
    return this.client.from(entity.table);
  }

  private baseUrl(): string {
    return this.options.url.endsWith('/') ? this.options.url : `${this.options.url}/`;
  }

  private keyColumn(entity: EntityDefinition): string {
    return entity.fields[entity.primaryKey].column;
  }

  /** Every column; decimals cast to text so PostgREST does not pass them through a JSON float. */
  private selectList(entity: EntityDefinition): string {
    return Object.values(entity.fields)
      .map((field) => (field.type === 'decimal' ? `${field.column}::text` : field.column))
      .join(',');
  }

  private async restPage(entity: EntityDefinition, range: KeyRange, request: PageRequest): Promise<Page> {
    this.checkLimit(request.limit);
    const key = this.keyColumn(entity);
    let query = this.table(entity).select(this.selectList(entity));
    if (range.from !== undefined) query = query.gte(key, range.from);
    if (range.to !== undefined) query = query.lt(key, range.to);
    if (request.after !== undefined) query = query.gt(key, request.after);
    // One row more than asked tells whether another page follows.
    const result = await query.order(key, { ascending: true }).limit(request.limit + 1).retry(this.retryReads);
    return this.toPage(entity, this.toRows(entity, this.dataOf(result)), request.limit);
  }

  private async sqlPage(entity: EntityDefinition, range: KeyRange, request: PageRequest): Promise<Page> {
    this.checkLimit(request.limit);
    const query = buildKeysetPageSql(entity, { ...request, range, limit: request.limit + 1 }, { schema: this.schema });
    const rows = await this.sql(query.text, query.values);
    return this.toPage(entity, rows.map((row) => toCanonicalRowFromColumns(entity, row)), request.limit);
  }

  private toPage(entity: EntityDefinition, rows: Row[], limit: number): Page {
    const hasMore = rows.length > limit;
    const pageRows = hasMore ? rows.slice(0, limit) : rows;
    const last = pageRows[pageRows.length - 1];
    return { rows: pageRows, nextAfter: hasMore && last ? (primaryKeyOf(entity, last) ?? null) : null };
  }

  private checkLimit(limit: number): void {
    if (!Number.isInteger(limit) || limit < 1) {
      throw new StoreInvalidError(this.name, `page limit must be a positive integer, got ${limit}`);
    }
  }

  private async sql(text: string, values: RowKey[]): Promise<Row[]> {
    if (!this.pool) throw new Error('SupabaseStore: no direct database connection configured.');
    try {
      const result = await this.pool.query<Row>(text, values);
      return result.rows;
    } catch (error) {
      throw toStoreErrorFromPg(this.name, error);
    }
  }

  /** The response's data, or the typed StoreError its error maps to. */
  private dataOf(result: PostgrestResult): unknown {
    if (result.error) throw toStoreErrorFromPostgrest(this.name, result.error, result.status);
    return result.data;
  }

  private toColumns(entity: EntityDefinition, row: Row): Row {
    try {
      return toColumnRow(entity, row);
    } catch (error) {
      throw new StoreInvalidError(this.name, error instanceof Error ? error.message : String(error));
    }
  }

  private toRow(entity: EntityDefinition, data: unknown): Row {
    if (typeof data !== 'object' || data === null || Array.isArray(data)) {
      throw new StoreInvalidError(this.name, `expected one ${entity.name} row from the API, got ${Array.isArray(data) ? 'a list' : typeof data}`);
    }
    return toCanonicalRowFromColumns(entity, data as Row);
  }

  private toRows(entity: EntityDefinition, data: unknown): Row[] {
    if (!Array.isArray(data)) throw new StoreInvalidError(this.name, `expected a list of ${entity.name} rows from the API`);
    return data.map((item) => this.toRow(entity, item));
  }

  private sortByKey(entity: EntityDefinition, rows: Row[]): Row[] {
    return [...rows].sort((a, b) => {
      const left = primaryKeyOf(entity, a);
      const right = primaryKeyOf(entity, b);
      if (typeof left === 'number' && typeof right === 'number') return left - right;
      return String(left) < String(right) ? -1 : String(left) > String(right) ? 1 : 0;
    });
  }
}
