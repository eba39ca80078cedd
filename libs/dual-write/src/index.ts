export * from './entity/entity.types';
export * from './entity/entity-registry';
export * from './store/store.types';
export * from './store/store-errors';
export * from './config/platform-config';
export * from './config/load-env-files';
