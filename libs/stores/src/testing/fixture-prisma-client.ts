import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../../../../generated/prisma/client';
import { prismaPgPoolConfig, type PrismaPgBounds } from '../prisma/prisma-pg-config';

export type FixturePrismaClient = InstanceType<typeof PrismaClient>;

/**
 * The generated Prisma client (store A) over the pg driver adapter, for specs that run PrismaStore against
 * the contract fixture tables (`contractOwner`, `contractItem`, `contractPost`, `contractNote`).
 * The caller owns the client: `await client.$disconnect()` when done.
 */
export function createFixturePrismaClient(connectionString: string, bounds: PrismaPgBounds = {}): FixturePrismaClient {
  if (!connectionString) {
    throw new Error('createFixturePrismaClient: connectionString is empty; set PRIMARY_DATABASE_URL.');
  }
  return new PrismaClient({ adapter: new PrismaPg(prismaPgPoolConfig(connectionString, bounds)) });
}
