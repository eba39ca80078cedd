export * from './dual-write-metrics';
export * from './prometheus-dual-write-metrics';
export * from './dual-write-metrics.controller';
export * from './dual-write-metrics.module';
