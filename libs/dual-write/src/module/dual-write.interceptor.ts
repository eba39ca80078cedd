import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { mergeMap, type Observable } from 'rxjs';
import { validate as isUuid } from 'uuid';
import { ContractViolationError } from '@dualwrite/stores';
import type { DualWriteResult } from '../engine/dual-write-result';
import type { Row } from '@dualwrite/stores';
import type { DualWriteOperation } from './dual-write.decorator';
import { DualWriteService } from './dual-write.service';
import { DUAL_WRITE_METADATA } from './dual-write.tokens';

interface HttpRequestLike {
  method: string;
  url: string;
  route?: { path?: string };
  params?: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
}

interface HttpResponseLike {
  setHeader(name: string, value: string): void;
}

/**
 * Carries out `@DualWrite(...)` handlers: the handler returns the payload, this writes it through the
 * DualWriteService (opId from the `Idempotency-Key` header when sent) and answers with the primary's row.
 * The mode, opId and whether the secondary's share was queued travel in X-DualWrite-* response headers.
 */
@Injectable()
export class DualWriteInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    private readonly dualWrite: DualWriteService,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const operation = this.reflector.get<DualWriteOperation | undefined>(DUAL_WRITE_METADATA, context.getHandler());
    if (!operation || context.getType() !== 'http') return next.handle();
    const request = context.switchToHttp().getRequest<HttpRequestLike>();
    const response = context.switchToHttp().getResponse<HttpResponseLike>();
    return next.handle().pipe(
      mergeMap(async (payload: unknown) => {
        const result = await this.write(operation, request, payload);
        response.setHeader('X-DualWrite-Mode', result.mode);
        if (result.opId) response.setHeader('X-DualWrite-Op-Id', result.opId);
        response.setHeader('X-DualWrite-Queued', String(result.queued));
        return result.data;
      }),
    );
  }

  private write(operation: DualWriteOperation, request: HttpRequestLike, payload: unknown): Promise<DualWriteResult<Row>> {
    const options = { opId: idempotencyKey(operation.entity, request), endpoint: `${request.method} ${request.route?.path ?? request.url}` };
    const key = () => {
      const param = operation.keyParam ?? 'id';
      const value = request.params?.[param];
      if (value === undefined) throw new Error(`@DualWrite(${operation.entity} ${operation.op}): route has no :${param} parameter`);
      return value;
    };
    switch (operation.op) {
      case 'create':
        return this.dualWrite.create(operation.entity, payload, options);
      case 'upsert':
        return this.dualWrite.upsert(operation.entity, payload, options);
      case 'update':
        return this.dualWrite.update(operation.entity, key(), payload, options);
      case 'delete':
        return this.dualWrite.delete(operation.entity, key(), options);
    }
  }
}

function idempotencyKey(entity: string, request: HttpRequestLike): string | undefined {
  return parseIdempotencyKey(entity, request.headers['idempotency-key']);
}

/** The `Idempotency-Key` header as an opId: absent, or a UUID (anything else is a 400 naming the header). */
export function parseIdempotencyKey(entity: string, header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined || value === '') return undefined;
  if (!isUuid(value)) throw new ContractViolationError(entity, [{ path: 'Idempotency-Key', message: 'must be a UUID' }]);
  return value.toLowerCase();
}
