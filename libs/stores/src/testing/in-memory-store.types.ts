import type { StorePlugin } from '../store/store.types';

/** A foreign key, as the migration declares it (`references` is usually the parent's primary key). */
export interface InMemoryForeignKey {
  /** The referencing entity and field, e.g. `contract_items` / `ownerId`. */
  entity: string;
  field: string;
  references: { entity: string; field: string };
  /** What deleting the parent does to this row. `no action` (PostgreSQL's default): the delete fails with invalid. */
  onDelete?: 'cascade' | 'set null' | 'no action';
}

/** Unique constraint over one or more fields (besides the primary key): a second row with equal values is a conflict. */
export interface InMemoryUniqueConstraint {
  entity: string;
  fields: string[];
}

/** What the store knows of the schema beyond the entity definitions (which it learns from each call). */
export interface InMemorySchema {
  foreignKeys?: InMemoryForeignKey[];
  unique?: InMemoryUniqueConstraint[];
  /**
   * Column defaults of generated fields, by entity name then field: a value or a function returning one.
   * Generated timestamps default to now and serial keys to their sequence without an entry here.
   */
  defaults?: Record<string, Record<string, unknown>>;
}

export type InMemoryStoreMethod = Exclude<keyof StorePlugin, 'name' | 'close'>;

/** One pass of a call through the gate. */
export interface InMemoryStoreCall {
  store: string;
  method: InMemoryStoreMethod;
  entity?: string;
  /** `request`: before the call takes effect. `response`: after it took effect, before its caller gets the result. */
  phase: 'request' | 'response';
}

/**
 * Awaited twice per call (each page of a stream is a call). A gate that throws fails the call: at `request`
 * nothing happened; at `response` the write took effect but its caller sees the error (a lost answer). A
 * thrown StoreError reaches the caller as it is, anything else as StoreUnavailableError.
 */
export type InMemoryStoreGate = (call: InMemoryStoreCall) => void | Promise<void>;

export interface InMemoryStoreOptions {
  /** Store name used in errors and health. Default `memory`. */
  name?: string;
  schema?: InMemorySchema;
  /** Clock of the timestamp defaults. Default `new Date()`. */
  now?: () => Date;
  gate?: InMemoryStoreGate;
  /** Rows per page when streaming. Default 500. */
  defaultBatchSize?: number;
}
