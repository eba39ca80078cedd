import type { PreferAction, Preferences } from './preferences';
import type { ParsedQuery } from './query-parser';

export type ApiMethod = 'GET' | 'HEAD' | 'POST' | 'PATCH' | 'DELETE';

/** A parsed request against a table or function, ready for a handler. */
export interface ApiRequest {
  method: ApiMethod;
  schema: string;
  query: ParsedQuery;
  prefer: Preferences;
  /** What the request does: decides where preferences apply and what Preference-Applied names. */
  action: PreferAction;
  /** From the `Range` header. */
  range?: { offset: number; limit?: number };
  /** `Accept: application/vnd.pgrst.object+json`: exactly one row, answered as an object. */
  singular: boolean;
  body: unknown;
}

export interface ApiResponse {
  status: number;
  headers: Record<string, string>;
  /** Absent: no body (204, HEAD, return=minimal). */
  body?: string;
}

export const jsonContentType = 'application/json; charset=utf-8';
export const objectContentType = 'application/vnd.pgrst.object+json; charset=utf-8';
