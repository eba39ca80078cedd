import type { PoolClient } from 'pg';
import { jsonContentType, type ApiRequest, type ApiResponse } from './api-types';
import { findFunction } from './catalog';
import { PostgrestError, badRequest } from './postgrest-errors';
import { checkMaxAffected, preferenceApplied } from './preferences';
import { requestedPage, requireSingleRow } from './response-shape';
import { BindValues, buildReadSql, functionCallSource, qualifiedName, type RowsResult } from './sql-builder';
import { readResponse } from './table-handler';

/** Named arguments: the JSON object of a POST, or the query parameters of a GET/HEAD. */
function argumentsOf(request: ApiRequest): Record<string, unknown> {
  if (request.method === 'GET' || request.method === 'HEAD') return Object.fromEntries(request.query.unreserved);
  if (request.body === undefined) return {};
  if (typeof request.body !== 'object' || request.body === null || Array.isArray(request.body)) {
    throw badRequest('Empty or invalid json', 'The body of /rpc must be one JSON object of named arguments.', 'PGRST102');
  }
  return request.body as Record<string, unknown>;
}

/** POST (or GET/HEAD) /rpc/<fn>: `select * from fn(name := value, ...)` with the JSON arguments typed by the catalog. */
export async function callFunction(client: PoolClient, name: string, request: ApiRequest): Promise<ApiResponse> {
  const args = argumentsOf(request);
  const signature = await findFunction(client, request.schema, name, Object.keys(args));
  const given = signature.args.filter((arg) => Object.prototype.hasOwnProperty.call(args, arg.name));
  const binds = new BindValues();
  const source = functionCallSource(qualifiedName(request.schema, name), given, args, binds);

  // max-affected counts the rows a function returns, so (as in PostgREST 13) it needs a set-returning one.
  if (request.prefer.maxAffected !== undefined && !signature.returnsSet) {
    throw new PostgrestError(400, 'PGRST128', 'Function must return SETOF or TABLE when max-affected preference is used with handling=strict');
  }
  const applied = preferenceApplied(request.prefer, request.action);
  const appliedHeader: Record<string, string> = applied ? { 'Preference-Applied': applied } : {};

  if (signature.shape === 'void') {
    await client.query(`SELECT 1 FROM ${source}`, binds.values);
    return { status: 204, headers: appliedHeader };
  }
  if (signature.shape === 'scalar') {
    const result = await client.query<RowsResult>(
      `SELECT coalesce(json_agg(_pgrst_rows._pgrst_call), '[]')::text AS body, (json_agg(_pgrst_rows._pgrst_call) -> 0)::text AS first, ` +
        `count(*)::int AS page_count FROM ${source}`,
      binds.values,
    );
    const rows = result.rows[0] as RowsResult;
    checkMaxAffected(request.prefer, rows.page_count);
    const body = signature.returnsSet ? rows.body : (rows.first ?? 'null');
    return { status: 200, headers: { 'Content-Type': jsonContentType, ...appliedHeader }, ...(request.method === 'HEAD' ? {} : { body }) };
  }
  const page = requestedPage(request.query, request.range);
  const read = buildReadSql(
    {
      from: source,
      select: request.query.select,
      filters: request.query.filters,
      order: request.query.order,
      ...page,
      withTotalCount: request.prefer.count !== undefined,
    },
    binds,
  );
  const rows = (await client.query<RowsResult>(read.text, read.values)).rows[0] as RowsResult;
  checkMaxAffected(request.prefer, rows.page_count);
  if (signature.returnsSet) return readResponse(request, page.offset, rows);
  requireSingleRow(request, rows.page_count);
  return {
    status: 200,
    headers: { 'Content-Type': jsonContentType, ...appliedHeader },
    ...(request.method === 'HEAD' ? {} : { body: rows.first ?? 'null' }),
  };
}
