import {
  StoreConflictError,
  StoreError,
  StoreInvalidError,
  StoreNotFoundError,
  StoreUnavailableError,
  storeErrorFromSqlState,
} from '../store/store-errors';

/**
 * Maps what a Prisma client throws onto typed StoreErrors.
 * With a driver adapter (PrismaPg) errors arrive either as PrismaClientKnownRequestError with a P-code and
 * `meta.driverAdapterError.cause`, or as a bare DriverAdapterError whose `cause` carries `kind` and the
 * SQLSTATE (`originalCode`). Checked by name and shape, not class, so no runtime import of Prisma is needed.
 */

const CONFLICT_CODES = new Set(['P2002']);
const NOT_FOUND_CODES = new Set(['P2001', 'P2025']);
const INVALID_CODES = new Set([
  'P2000', // value too long for the column
  'P2003', // foreign key violation
  'P2004', // constraint failed
  'P2005', // invalid stored value for the field type
  'P2006', // invalid value for the field
  'P2007', // data validation error
  'P2011', // null constraint violation
  'P2012', // missing required value
  'P2019', // input error
  'P2020', // value out of range
  'P2021', // table does not exist
  'P2022', // column does not exist
  'P2023', // inconsistent column data
]);

/** Driver adapter error kinds (`DriverAdapterError.cause.kind`) that mean the database cannot be used right now. */
const UNAVAILABLE_ADAPTER_KINDS = new Set([
  'DatabaseNotReachable',
  'DatabaseDoesNotExist',
  'DatabaseAccessDenied',
  'AuthenticationFailed',
  'ConnectionClosed',
  'SocketTimeout',
  'TooManyConnections',
  'TlsConnectionError',
  'TransactionAlreadyClosed',
]);
const CONFLICT_ADAPTER_KINDS = new Set(['UniqueConstraintViolation']);
const INVALID_ADAPTER_KINDS = new Set([
  'ForeignKeyConstraintViolation',
  'NullConstraintViolation',
  'LengthMismatch',
  'ValueOutOfRange',
  'InvalidInputValue',
  'TableDoesNotExist',
  'ColumnNotFound',
  'InconsistentColumnData',
  'MissingFullTextSearchIndex',
]);

const UNAVAILABLE_NODE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN']);

interface AdapterCause {
  kind?: string;
  originalCode?: string;
  originalMessage?: string;
}

function field(value: unknown, name: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[name] : undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function adapterCause(error: unknown): AdapterCause | undefined {
  const fromMeta = field(field(field(error, 'meta'), 'driverAdapterError'), 'cause');
  const fromError = text(field(error, 'name')) === 'DriverAdapterError' ? field(error, 'cause') : undefined;
  const cause = fromMeta ?? fromError;
  if (typeof cause !== 'object' || cause === null) return undefined;
  return {
    kind: text(field(cause, 'kind')),
    originalCode: text(field(cause, 'originalCode')) ?? text(field(cause, 'code')),
    originalMessage: text(field(cause, 'originalMessage')),
  };
}

/** Prisma's messages quote the calling source code; keep the last line, which says what went wrong. */
function shortMessage(error: unknown): string {
  const message = text(field(error, 'message')) ?? String(error);
  const lines = message.split('\n').map((line) => line.trim()).filter(Boolean);
  return lines[lines.length - 1] ?? 'Prisma call failed';
}

function fromAdapterCause(store: string, cause: AdapterCause, message: string, error: unknown): StoreError | undefined {
  const code = cause.originalCode ?? cause.kind;
  if (cause.kind && UNAVAILABLE_ADAPTER_KINDS.has(cause.kind)) {
    return new StoreUnavailableError(store, message, code, { cause: error });
  }
  if (cause.kind && CONFLICT_ADAPTER_KINDS.has(cause.kind)) return new StoreConflictError(store, message, code, { cause: error });
  if (cause.kind && INVALID_ADAPTER_KINDS.has(cause.kind)) return new StoreInvalidError(store, message, code, { cause: error });
  if (cause.originalCode) return storeErrorFromSqlState(store, cause.originalCode, message, error);
  return undefined;
}

export function toStoreErrorFromPrisma(store: string, error: unknown): StoreError {
  if (error instanceof StoreError) return error;
  const name = text(field(error, 'name'));
  const code = text(field(error, 'code'));
  const message = shortMessage(error);

  if (name === 'PrismaClientValidationError') return new StoreInvalidError(store, message, undefined, { cause: error });
  if (name === 'PrismaClientInitializationError' || name === 'PrismaClientRustPanicError') {
    return new StoreUnavailableError(store, message, text(field(error, 'errorCode')), { cause: error });
  }
  if (code && CONFLICT_CODES.has(code)) return new StoreConflictError(store, message, code, { cause: error });
  if (code && NOT_FOUND_CODES.has(code)) return new StoreNotFoundError(store, message, code, { cause: error });
  if (code && INVALID_CODES.has(code)) return new StoreInvalidError(store, message, code, { cause: error });
  if (code && /^P1\d{3}$/.test(code)) return new StoreUnavailableError(store, message, code, { cause: error });

  // P2010 (raw query failed), bare DriverAdapterErrors and anything else carrying the adapter's cause.
  const cause = adapterCause(error);
  const mapped = cause ? fromAdapterCause(store, cause, cause.originalMessage ?? message, error) : undefined;
  if (mapped) return mapped;

  if (code && UNAVAILABLE_NODE_CODES.has(code)) return new StoreUnavailableError(store, message, code, { cause: error });
  return new StoreUnavailableError(store, `unexpected error: ${message}`, code, { cause: error });
}
