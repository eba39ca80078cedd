export * from './alert.types';
export * from './alert-logger';
export * from './alert-evaluator';
export * from './alert-snapshot-reader';
export * from './alert-notifier';
export * from './rollback-guard';
export * from './breaker-state-board';
