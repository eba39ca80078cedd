import type { ApiRequest } from './api-types';
import { PostgrestError } from './postgrest-errors';
import type { ParsedQuery } from './query-parser';

/** The singular media type demands exactly one row; anything else is PostgREST's 406 PGRST116 (and a rollback). */
export function requireSingleRow(request: ApiRequest, rowCount: number): void {
  if (request.singular && rowCount !== 1) {
    throw new PostgrestError(406, 'PGRST116', 'JSON object requested, multiple (or no) rows returned', `The result contains ${rowCount} rows`,
      null);
  }
}

/** The page a read asks for: limit/offset parameters intersected with the `Range` header. */
export function requestedPage(query: ParsedQuery, range: ApiRequest['range']): { offset: number; limit?: number } {
  const fromQuery = { start: query.offset ?? 0, end: query.limit === undefined ? Infinity : (query.offset ?? 0) + query.limit };
  const fromHeader = range ? { start: range.offset, end: range.limit === undefined ? Infinity : range.offset + range.limit } : { start: 0, end: Infinity };
  const start = Math.max(fromQuery.start, fromHeader.start);
  const end = Math.min(fromQuery.end, fromHeader.end);
  return end === Infinity ? { offset: start } : { offset: start, limit: Math.max(0, end - start) };
}

/** Status and Content-Range of a read, by PostgREST's rule: 416 past the end, 206 for part of a counted whole. */
export function readStatus(offset: number, pageCount: number, total: number | undefined): { status: number; contentRange: string } {
  const upper = offset + pageCount - 1;
  const contentRange = `${pageCount > 0 ? `${offset}-${upper}` : '*'}/${total ?? '*'}`;
  if (total === undefined) return { status: 200, contentRange };
  if (offset > total) {
    throw new PostgrestError(416, 'PGRST103', 'Requested range not satisfiable', `An offset of ${offset} was requested, but there are only ${total} rows.`);
  }
  return { status: 1 + upper - offset < total ? 206 : 200, contentRange };
}
