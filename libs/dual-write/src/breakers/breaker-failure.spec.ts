import { TaskCancelledError } from 'cockatiel';
import { StoreConflictError, StoreInvalidError, StoreNotFoundError, StoreUnavailableError } from '@dualwrite/stores';
import { isStoreUnavailableFailure } from './breaker-failure';
import { BackpressureError } from '../engine/backpressure-error';
import { BreakerOpenError } from './breaker-open-error';

function withCode(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

describe('isStoreUnavailableFailure', () => {
  it.each([
    ['a StoreUnavailableError', new StoreUnavailableError('prisma', 'too many connections', '53300')],
    ['a refused connection', withCode('connect ECONNREFUSED', 'ECONNREFUSED')],
    ['a reset connection', withCode('read ECONNRESET', 'ECONNRESET')],
    ['a failed DNS lookup', withCode('getaddrinfo ENOTFOUND', 'ENOTFOUND')],
    ['fetch failing on a network cause', new TypeError('fetch failed', { cause: withCode('connect', 'UND_ERR_CONNECT_TIMEOUT') })],
    ['an AbortSignal.timeout', new DOMException('timed out', 'TimeoutError')],
    ['a cockatiel timeout', new TaskCancelledError()],
  ])('counts %s', (_label, error) => {
    expect(isStoreUnavailableFailure(error)).toBe(true);
  });

  it.each([
    ['not_found', new StoreNotFoundError('prisma', 'no row')],
    ['conflict', new StoreConflictError('prisma', 'duplicate', '23505')],
    ['invalid', new StoreInvalidError('prisma', 'bad value', '22P02')],
    ['a BreakerOpenError', new BreakerOpenError('prisma', 'open', 1000)],
    ['a BackpressureError (refused before the store)', new BackpressureError('prisma', 1000, 1000)],
    ['a programming error', new TypeError('x is not a function')],
    ['a caller abort', new DOMException('aborted', 'AbortError')],
    ['a non-error value', 'boom'],
  ])('does not count %s', (_label, error) => {
    expect(isStoreUnavailableFailure(error)).toBe(false);
  });
});
