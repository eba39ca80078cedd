/**
 * Typed store errors. Every plugin maps its driver's errors onto these four, so callers
 * (dual-write engine, reconcile, API) decide on the kind, never on a driver's message.
 */
export type StoreErrorKind = 'not_found' | 'conflict' | 'invalid' | 'unavailable';

export abstract class StoreError extends Error {
  abstract readonly kind: StoreErrorKind;

  constructor(
    readonly store: string,
    message: string,
    /** Driver-level code kept for diagnostics (SQLSTATE, Prisma P-code, PostgREST code). */
    readonly code?: string,
    options?: { cause?: unknown },
  ) {
    super(`[${store}] ${message}`, options);
    this.name = new.target.name;
  }
}

export class StoreNotFoundError extends StoreError {
  readonly kind = 'not_found' as const;
}

export class StoreConflictError extends StoreError {
  readonly kind = 'conflict' as const;
}

export class StoreInvalidError extends StoreError {
  readonly kind = 'invalid' as const;
}

export class StoreUnavailableError extends StoreError {
  readonly kind = 'unavailable' as const;
}

export function isStoreError(error: unknown): error is StoreError {
  return error instanceof StoreError;
}

/** SQLSTATE classes shared by every PostgreSQL-backed plugin. */
export function storeErrorFromSqlState(
  store: string,
  sqlState: string | undefined,
  message: string,
  cause?: unknown,
): StoreError {
  const code = sqlState ?? '';
  if (code === '23505') return new StoreConflictError(store, message, code, { cause });
  if (code === '23503' || code === '23502' || code === '23514' || code.startsWith('22') || code === '42703') {
    return new StoreInvalidError(store, message, code, { cause });
  }
  if (code === '42P01' || code === '42501') return new StoreInvalidError(store, message, code, { cause });
  return new StoreUnavailableError(store, message, sqlState, { cause });
}
