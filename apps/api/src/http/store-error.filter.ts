import { Catch, HttpStatus, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { isBackpressureError } from '@dualwrite/dual-write';
import { StoreError, type StoreErrorKind } from '@dualwrite/stores';
import type { ExpressResponseLike } from './express-shapes';

const STATUS_BY_KIND: Record<StoreErrorKind, HttpStatus> = {
  not_found: HttpStatus.NOT_FOUND,
  conflict: HttpStatus.CONFLICT,
  invalid: HttpStatus.BAD_REQUEST,
  unavailable: HttpStatus.SERVICE_UNAVAILABLE,
};

const ERROR_NAME: Record<StoreErrorKind, string> = {
  not_found: 'Not Found',
  conflict: 'Conflict',
  invalid: 'Bad Request',
  unavailable: 'Service Unavailable',
};

/** Seconds a client should wait before retrying when a store is unavailable. */
export const STORE_UNAVAILABLE_RETRY_AFTER_SECONDS = 5;

/** Drivers sometimes quote connection strings; the password never leaves the process. */
function withoutCredentials(message: string): string {
  return message.replace(/(\w+:\/\/[^:/@\s]+):[^@\s]+@/g, '$1:***@');
}

/** Seconds at least in the Retry-After of a write refused because too many creates wait for a store (backpressure). */
function backpressureRetryAfterSeconds(retryAfterMs: number): number {
  return Math.max(1, Math.ceil(retryAfterMs / 1000));
}

/**
 * Store errors → HTTP by kind: not_found 404, conflict 409, invalid 400, unavailable 503 with Retry-After (a
 * create refused by backpressure, BackpressureError, is one: Retry-After says when its queue should have room).
 */
@Catch(StoreError)
export class StoreErrorFilter implements ExceptionFilter<StoreError> {
  private readonly logger = new Logger(StoreErrorFilter.name);

  catch(error: StoreError, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<ExpressResponseLike>();
    const status = STATUS_BY_KIND[error.kind];
    const message = withoutCredentials(error.message);
    if (isBackpressureError(error)) {
      this.logger.warn(`write refused (backpressure): ${message}`);
      response.setHeader('Retry-After', String(backpressureRetryAfterSeconds(error.retryAfterMs)));
    } else if (error.kind === 'unavailable') {
      this.logger.warn(`store unavailable: ${message}`);
      response.setHeader('Retry-After', String(STORE_UNAVAILABLE_RETRY_AFTER_SECONDS));
    }
    response.status(status).json({
      statusCode: status,
      error: ERROR_NAME[error.kind],
      message,
      store: error.store,
      kind: error.kind,
    });
  }
}
