import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../../../generated/prisma/client';

export type ExamplePrismaClient = InstanceType<typeof PrismaClient>;

/**
 * The example domain's generated Prisma client (store A), talking to PostgreSQL through the pg driver adapter.
 * The caller owns the client: `await client.$disconnect()` when done.
 */
export function createPrismaClient(connectionString: string): ExamplePrismaClient {
  if (!connectionString) {
    throw new Error('createPrismaClient: connectionString is empty; set PRIMARY_DATABASE_URL.');
  }
  return new PrismaClient({ adapter: new PrismaPg({ connectionString }) });
}
