import {
  StoreConflictError,
  StoreError,
  StoreInvalidError,
  StoreNotFoundError,
  StoreUnavailableError,
  storeErrorFromSqlState,
} from '../store/store-errors';

/** The error body PostgREST sends (and supabase-js hands back): `{ code, message, details, hint }`. */
export interface PostgrestErrorLike {
  code?: string | null;
  message?: string | null;
  details?: string | null;
  hint?: string | null;
}

/**
 * Maps a PostgREST error plus its HTTP status onto a typed StoreError.
 * supabase-js reports a request that never got an answer (connection refused, DNS, abort on timeout)
 * with status 0 and an empty code.
 */
export function toStoreErrorFromPostgrest(store: string, error: PostgrestErrorLike, status: number): StoreError {
  const code = error.code ?? '';
  const message = describe(error, status);
  const cause = { ...error, status };

  if (status === 0) {
    const timedOut = /abort|timeout/i.test(`${error.message ?? ''} ${error.hint ?? ''}`);
    return new StoreUnavailableError(store, message, timedOut ? 'TIMEOUT' : 'FETCH_FAILED', { cause });
  }
  if (code === '23505') return new StoreConflictError(store, message, code, { cause });
  // `.single()` on zero rows: the row the call addressed by its key does not exist.
  if (code === 'PGRST116') return new StoreNotFoundError(store, message, code, { cause });
  // PGRST0xx: PostgREST cannot reach its database or load its schema cache.
  if (/^PGRST0\d\d$/.test(code)) return new StoreUnavailableError(store, message, code, { cause });
  // PGRST1xx: malformed request; PGRST2xx: unknown table, column or relationship.
  if (/^PGRST[12]\d\d$/.test(code)) return new StoreInvalidError(store, message, code, { cause });
  // PGRST3xx: the API key (JWT) was rejected; no request can succeed until the configuration is fixed.
  if (/^PGRST3\d\d$/.test(code) || status === 401 || status === 403) {
    if (code === '42501') return new StoreInvalidError(store, message, code, { cause });
    return new StoreUnavailableError(store, message, code || String(status), { cause });
  }
  if (/^[0-9A-Z]{5}$/.test(code) && !code.startsWith('PGRST')) {
    const mapped = storeErrorFromSqlState(store, code, message, cause);
    // An unknown SQLSTATE on a 4xx still means "the request was wrong", not "the store is down".
    if (mapped.kind === 'unavailable' && status >= 400 && status < 500) {
      return new StoreInvalidError(store, message, code, { cause });
    }
    return mapped;
  }
  if (status >= 500) return new StoreUnavailableError(store, message, code || String(status), { cause });
  return new StoreInvalidError(store, message, code || String(status), { cause });
}

function describe(error: PostgrestErrorLike, status: number): string {
  const parts = [error.message || 'request failed'];
  if (error.details && status !== 0) parts.push(error.details);
  if (error.hint) parts.push(`hint: ${error.hint}`);
  return `${parts.join(' — ')} (HTTP ${status || 'no response'})`;
}

/** Maps an error from node-postgres (direct connection) onto a typed StoreError. */
export function toStoreErrorFromPg(store: string, error: unknown): StoreError {
  if (error instanceof StoreError) return error;
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  const message = error instanceof Error ? error.message : String(error);
  const text = typeof code === 'string' ? code : undefined;
  if (text && /^[0-9A-Z]{5}$/.test(text)) return storeErrorFromSqlState(store, text, message, error);
  return new StoreUnavailableError(store, message, text, { cause: error });
}
