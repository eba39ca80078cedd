/**
 * Errors in PostgREST's shape: body `{ code, message, details, hint }` and the HTTP status PostgREST
 * gives the SQLSTATE (https://docs.postgrest.org/en/stable/references/errors.html).
 */
export interface PostgrestErrorBody {
  code: string;
  message: string;
  details: string | null;
  hint: string | null;
}

export class PostgrestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: string | null = null,
    readonly hint: string | null = null,
  ) {
    super(message);
    this.name = 'PostgrestError';
  }

  toBody(): PostgrestErrorBody {
    return { code: this.code, message: this.message, details: this.details, hint: this.hint };
  }
}

/** A malformed request: query string, header or body PostgREST could not parse (PGRST100 family). */
export function badRequest(message: string, details: string | null = null, code = 'PGRST100'): PostgrestError {
  return new PostgrestError(400, code, message, details);
}

/** HTTP status PostgREST answers for a PostgreSQL error code. `anonymous`: the request ran as the anon role. */
export function httpStatusForSqlState(code: string, anonymous: boolean): number {
  const exact: Record<string, number> = {
    '23503': 409,
    '23505': 409,
    '25006': 405,
    '53400': 500,
    P0001: 400,
    '42883': 404,
    '42P01': 404,
    '42P17': 500,
    '42501': anonymous ? 401 : 403,
  };
  if (exact[code] !== undefined) return exact[code];
  const byClass: Record<string, number> = {
    '08': 503,
    '09': 500,
    '0L': 403,
    '0P': 403,
    '25': 500,
    '28': 403,
    '2D': 500,
    '38': 500,
    '39': 500,
    '3B': 500,
    '40': 500,
    '53': 503,
    '54': 500,
    '55': 500,
    '57': 500,
    '58': 500,
    F0: 500,
    HV: 500,
    P0: 500,
    XX: 500,
  };
  return byClass[code.slice(0, 2)] ?? 400;
}

interface PgErrorLike {
  code?: unknown;
  message?: unknown;
  detail?: unknown;
  hint?: unknown;
}

const connectionErrorCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'ETIMEDOUT', 'EHOSTUNREACH', 'EPIPE']);

/** Maps whatever the database call threw (a PostgreSQL error, or a connection failure) onto a PostgrestError. */
export function toPostgrestError(error: unknown, anonymous: boolean): PostgrestError {
  if (error instanceof PostgrestError) return error;
  const pg = (typeof error === 'object' && error !== null ? error : {}) as PgErrorLike;
  const code = typeof pg.code === 'string' ? pg.code : '';
  const message = typeof pg.message === 'string' ? pg.message : String(error);
  if (/^[0-9A-Z]{5}$/.test(code)) {
    const details = typeof pg.detail === 'string' ? pg.detail : null;
    const hint = typeof pg.hint === 'string' ? pg.hint : null;
    return new PostgrestError(httpStatusForSqlState(code, anonymous), code, message, details, hint);
  }
  if (connectionErrorCodes.has(code) || /connect|terminat|timeout/i.test(message)) {
    return new PostgrestError(503, 'PGRST000', 'Could not connect with the database', message);
  }
  return new PostgrestError(500, 'PGRST001', 'Database client error', message);
}
