export * from './comparison.types';
export * from './compare-results';
export * from './diff-severity';
export * from './diff-policy';
