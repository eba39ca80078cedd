import { PrismaPg } from '@prisma/adapter-pg';
import { prismaPgPoolConfig, type PrismaPgBounds } from '@dualwrite/stores';
import { PrismaClient } from '../../../generated/prisma/client';

export type ExamplePrismaClient = InstanceType<typeof PrismaClient>;

/**
 * The example domain's generated Prisma client (store A), talking to PostgreSQL through the pg driver adapter.
 * `bounds.statementTimeoutMs` makes PostgreSQL cancel any statement running longer (STORE_CALL_TIMEOUT_MS in the
 * apps), so a call the platform gave up on stops holding a connection and locks on the database too.
 * The caller owns the client: `await client.$disconnect()` when done.
 */
export function createPrismaClient(connectionString: string, bounds: PrismaPgBounds = {}): ExamplePrismaClient {
  if (!connectionString) {
    throw new Error('createPrismaClient: connectionString is empty; set PRIMARY_DATABASE_URL.');
  }
  return new PrismaClient({ adapter: new PrismaPg(prismaPgPoolConfig(connectionString, bounds)) });
}
