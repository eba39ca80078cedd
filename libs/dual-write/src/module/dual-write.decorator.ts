import { SetMetadata } from '@nestjs/common';
import { DUAL_WRITE_METADATA } from './dual-write.tokens';

export interface DualWriteOperation {
  entity: string;
  op: 'create' | 'update' | 'upsert' | 'delete';
  /** Route parameter holding the primary key for update and delete. Default `id`. */
  keyParam?: string;
}

/**
 * Marks a route handler whose return value is the payload of a dual write: the DualWriteInterceptor writes
 * it through the current mode and answers with the primary's row. Only metadata here; the interceptor acts.
 */
export const DualWrite = (operation: DualWriteOperation): MethodDecorator => SetMetadata(DUAL_WRITE_METADATA, operation);
