import type { PoolClient } from 'pg';
import { jsonContentType, objectContentType, type ApiRequest, type ApiResponse } from './api-types';
import { primaryKeyColumns } from './catalog';
import { PostgrestError, badRequest } from './postgrest-errors';
import { checkMaxAffected, preferenceApplied } from './preferences';
import { readStatus, requestedPage, requireSingleRow } from './response-shape';
import {
  buildDeleteSql,
  buildInsertSql,
  buildReadSql,
  buildUpdateSql,
  qualifiedName,
  readMergedRowsSql,
  type RowsResult,
  type SqlQuery,
} from './sql-builder';

type JsonObject = Record<string, unknown>;

function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function invalidBody(details: string): PostgrestError {
  return badRequest('Empty or invalid json', details, 'PGRST102');
}

async function rowsOf(client: PoolClient, query: SqlQuery): Promise<RowsResult> {
  const result = await client.query<RowsResult>(query.text, query.values);
  return result.rows[0] as RowsResult;
}

/**
 * A mutation's answer: the rows (return=representation) or nothing (return=minimal, PostgREST's default).
 * Too many affected rows for `max-affected` (strict handling) throw, which rolls the request back.
 */
async function runMutation(client: PoolClient, request: ApiRequest, query: SqlQuery): Promise<{ count: number; body?: string }> {
  if (request.prefer.return !== 'representation') {
    const result = await client.query(query.text, query.values);
    checkMaxAffected(request.prefer, result.rowCount ?? 0);
    requireSingleRow(request, result.rowCount ?? 0);
    return { count: result.rowCount ?? 0 };
  }
  const rows = await rowsOf(client, query);
  checkMaxAffected(request.prefer, rows.page_count);
  requireSingleRow(request, rows.page_count);
  return { count: rows.page_count, body: request.singular ? (rows.first ?? 'null') : rows.body };
}

/** `status`: what the mutation answers with a body; PATCH and DELETE without one answer 204, POST keeps its status. */
function mutationResponse(request: ApiRequest, outcome: { count: number; body?: string }, status: number): ApiResponse {
  const total = request.prefer.count ? String(outcome.count) : '*';
  const range = request.method === 'POST' || outcome.count === 0 ? '*' : `0-${outcome.count - 1}`;
  const headers: Record<string, string> = { 'Content-Range': `${range}/${total}` };
  const applied = preferenceApplied(request.prefer, request.action);
  if (applied) headers['Preference-Applied'] = applied;
  if (outcome.body === undefined) return { status: request.method === 'POST' ? status : 204, headers };
  headers['Content-Type'] = request.singular ? objectContentType : jsonContentType;
  return { status, headers, body: outcome.body };
}

/** PostgREST's rule: 201, except a merge-duplicates upsert that inserted no row (only updated) answers 200. */
export function insertStatus(resolution: ApiRequest['prefer']['resolution'], insertedRows: number): 200 | 201 {
  return resolution === 'merge-duplicates' && insertedRows === 0 ? 200 : 201;
}

/** GET / HEAD on a table or view. */
export async function readTable(client: PoolClient, table: string, request: ApiRequest): Promise<ApiResponse> {
  const { query } = request;
  const page = requestedPage(query, request.range);
  const rows = await rowsOf(
    client,
    buildReadSql({
      from: qualifiedName(request.schema, table),
      select: query.select,
      filters: query.filters,
      order: query.order,
      ...page,
      withTotalCount: request.prefer.count !== undefined,
    }),
  );
  return readResponse(request, page.offset, rows);
}

/** Shared by tables and set-returning functions. */
export function readResponse(request: ApiRequest, offset: number, rows: RowsResult): ApiResponse {
  const total = rows.total_count === undefined ? undefined : Number(rows.total_count);
  const { status, contentRange } = readStatus(offset, rows.page_count, total);
  requireSingleRow(request, rows.page_count);
  const headers: Record<string, string> = {
    'Content-Type': request.singular ? objectContentType : jsonContentType,
    'Content-Range': contentRange,
  };
  const applied = preferenceApplied(request.prefer, request.action);
  if (applied) headers['Preference-Applied'] = applied;
  if (request.method === 'HEAD') return { status, headers };
  return { status, headers, body: request.singular ? (rows.first ?? 'null') : rows.body };
}

/** POST: insert, or upsert with `Prefer: resolution=merge-duplicates|ignore-duplicates`. */
export async function insertRows(client: PoolClient, table: string, request: ApiRequest): Promise<ApiResponse> {
  const { body, query, prefer } = request;
  const rows = Array.isArray(body) ? body : [body];
  if (!rows.every(isJsonObject)) throw invalidBody('The body must be a JSON object or an array of JSON objects.');
  if (rows.length === 0) {
    return mutationResponse(request, { count: 0, ...(prefer.return === 'representation' ? { body: '[]' } : {}) }, insertStatus(prefer.resolution, 0));
  }
  const columns = query.columns ?? [...new Set(rows.flatMap((row) => Object.keys(row)))];
  const qualified = qualifiedName(request.schema, table);
  let conflict: { target: string[]; resolution: 'merge-duplicates' | 'ignore-duplicates' } | undefined;
  if (prefer.resolution) {
    const target = query.onConflict ?? (await primaryKeyColumns(client, qualified));
    if (target.length === 0) throw badRequest(`${request.schema}.${table} has no primary key; name the conflict columns with on_conflict`);
    conflict = { target, resolution: prefer.resolution };
  }
  const sql = buildInsertSql({
    table: qualified,
    rows,
    columns,
    missingDefault: prefer.missing === 'default',
    ...(conflict ? { conflict } : {}),
    ...(prefer.return === 'representation' ? { returning: query.select } : {}),
  });
  const outcome = await runMutation(client, request, sql);
  let inserted = outcome.count;
  if (conflict?.resolution === 'merge-duplicates') {
    inserted -= ((await client.query<{ merged: number }>(readMergedRowsSql())).rows[0] as { merged: number }).merged;
  }
  return mutationResponse(request, outcome, insertStatus(prefer.resolution, inserted));
}

function rejectLimits(request: ApiRequest): void {
  if (request.query.limit !== undefined || request.query.offset !== undefined || request.range !== undefined) {
    throw badRequest('limit, offset and Range are not supported on PATCH or DELETE by supabase-local');
  }
}

/** PATCH: update the rows the filters select. */
export async function updateRows(client: PoolClient, table: string, request: ApiRequest): Promise<ApiResponse> {
  rejectLimits(request);
  if (!isJsonObject(request.body)) throw invalidBody('The body of a PATCH must be one JSON object.');
  if (Object.keys(request.body).length === 0) {
    requireSingleRow(request, 0);
    return mutationResponse(request, { count: 0, ...(request.prefer.return === 'representation' ? { body: '[]' } : {}) }, 200);
  }
  const sql = buildUpdateSql({
    table: qualifiedName(request.schema, table),
    patch: request.body,
    filters: request.query.filters,
    ...(request.prefer.return === 'representation' ? { returning: request.query.select } : {}),
  });
  return mutationResponse(request, await runMutation(client, request, sql), 200);
}

/** DELETE: delete the rows the filters select. */
export async function deleteRows(client: PoolClient, table: string, request: ApiRequest): Promise<ApiResponse> {
  rejectLimits(request);
  const sql = buildDeleteSql({
    table: qualifiedName(request.schema, table),
    filters: request.query.filters,
    ...(request.prefer.return === 'representation' ? { returning: request.query.select } : {}),
  });
  return mutationResponse(request, await runMutation(client, request, sql), 200);
}
