import { TaskCancelledError } from 'cockatiel';
import { isStoreError } from '@dualwrite/stores';
import { BackpressureError } from '../engine/backpressure-error';
import { BreakerOpenError } from './breaker-open-error';

/** Error codes Node (net, dns) and undici give a connection that failed or was cut. */
const NETWORK_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_SOCKET',
]);

const MAX_CAUSE_DEPTH = 5;

/**
 * Whether an error says the store is unreachable, and so counts towards opening its breaker:
 * a StoreUnavailableError, a timeout (cockatiel's TaskCancelledError, `AbortSignal.timeout`), or a
 * network error (also as the `cause` of e.g. fetch's "fetch failed").
 * not_found, conflict and invalid are the store answering; they never count, nor do programming errors, nor
 * refusals that never reached the store (its own open breaker, a full group-commit queue).
 */
export function isStoreUnavailableFailure(error: unknown): boolean {
  if (error instanceof BreakerOpenError || error instanceof BackpressureError) return false;
  if (isStoreError(error)) return error.kind === 'unavailable';
  // cockatiel 3.2's isTaskCancelledError tests the wrong marker property, hence instanceof.
  if (error instanceof TaskCancelledError) return true;
  // Duck-typed rather than `instanceof Error`: DOMException and errors from other realms fail that test.
  let current: unknown = error;
  for (let depth = 0; depth < MAX_CAUSE_DEPTH && typeof current === 'object' && current !== null; depth += 1) {
    const { name, code, cause } = current as { name?: unknown; code?: unknown; cause?: unknown };
    if (name === 'TimeoutError') return true;
    if (typeof code === 'string' && NETWORK_ERROR_CODES.has(code)) return true;
    current = cause;
  }
  return false;
}
