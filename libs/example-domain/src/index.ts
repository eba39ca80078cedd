export * from './entities';
export * from './prisma-client';
export * from './example-stores';
