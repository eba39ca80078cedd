// @dualwrite/stores: what a store is. The StorePlugin contract and its typed errors, the entity registry,
// canonical rows and their comparison, SQL checksums, and the two plugins (Prisma, Supabase).
// The contract suite for plugin authors is its own entry point: @dualwrite/stores/testing.

export type { EntityDefinition, FieldDefinition, FieldType, Primitive, Row, RowKey } from './entity/entity.types';
export { EntityRegistry, UnknownEntityError } from './entity/entity-registry';
export { ContractViolationError, validateRow, type ContractIssue } from './entity/validate-row';

export type { KeyRange, Page, PageRequest, RangeChecksum, StoreHealth, StorePlugin } from './store/store.types';
export {
  StoreConflictError,
  StoreError,
  StoreInvalidError,
  StoreNotFoundError,
  StoreUnavailableError,
  isStoreError,
  storeErrorFromSqlState,
  type StoreErrorKind,
} from './store/store-errors';
export {
  CanonicalValueError,
  RangeChecksumAccumulator,
  canonicalRowText,
  checksumOfRows,
  patchWithoutKey,
  primaryKeyOf,
  toCanonicalRow,
  toCanonicalRowFromColumns,
  toColumnRow,
} from './store/canonical-row';
export {
  buildKeysetPageSql,
  buildRangeChecksumSql,
  buildRangeCountSql,
  canonicalRowSql,
  keyOrderSql,
  keyRangeWhereSql,
  qualifiedTable,
  quoteIdentifier,
  readRangeChecksumRow,
  type SqlQuery,
  type SqlTarget,
} from './store/sql-checksum';

export { compareResults } from './compare/compare-results';
export { normaliseRow } from './compare/normalise-field';
export type { ComparableResult, CompareOptions, Comparison, DifferenceKind, FieldDifference } from './compare/comparison.types';

export { PrismaStore, type PrismaClientLike, type PrismaQueryable, type PrismaStoreOptions } from './prisma/prisma-store';
export { prismaPgPoolConfig, type PrismaPgBounds } from './prisma/prisma-pg-config';
export { SupabaseStore, type SupabaseStoreOptions } from './supabase/supabase-store';
export { HttpTransport } from './supabase/http-transport';
