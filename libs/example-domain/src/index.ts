export * from './entities';
export * from './prisma-client';
