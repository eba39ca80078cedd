export * from './breaker.types';
export * from './breaker-open-error';
export * from './breaker-failure';
export * from './windowed-failure-breaker';
export * from './store-breakers';
