export * from './migrations/migration-files';
export * from './migrations/sql-migration-runner';
