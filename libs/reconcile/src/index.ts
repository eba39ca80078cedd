// @dualwrite/reconcile: whole-table reconciliation between the two stores (segment checksums in the databases,
// bisection of mismatched segments, a re-check after the ledger's writes settled), its runs, findings and report.
// Copy, repair and phase gates are to come.

export type {
  EntityReconcileResult,
  Finding,
  KeyBoundarySource,
  LedgerState,
  ReconcileOptions,
  ReconcileRunResult,
  ReconcileSide,
  ReconcileWork,
  SeveritySummary,
} from './reconcile.types';
export { Reconciler, selectEntities, severitySummary, type ReconcilerDependencies } from './reconciler';
export { SqlTableReader, type ReaderQueryCounts } from './sql-table-reader';
export { LedgerActivity, UNSETTLED_STATUSES } from './ledger-activity';
export { compareKeys, keyText } from './key-order';
export { splitParts, splitRange, segmentVerdict } from './segment-search';
export { ReconcileRunRepository, type EntitySummary } from './run-repository';
export { REPORT_FORMAT, buildReport, reportFileName, writeReconcileReport } from './report-writer';
export { RECONCILE_MIGRATIONS_DIR } from './reconcile-migrations';
