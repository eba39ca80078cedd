import { createFixturePrismaClient } from '../testing/fixture-prisma-client';
import { describeStoreContract } from '../testing/store-contract.suite';
import { PrismaStore } from './prisma-store';

const primaryUrl = process.env['PRIMARY_DATABASE_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/dw_primary';

describeStoreContract('PrismaStore', async () => ({
  store: new PrismaStore(createFixturePrismaClient(primaryUrl), { ownsClient: true }),
  createUnavailableStore: () =>
    new PrismaStore(createFixturePrismaClient('postgresql://postgres@127.0.0.1:1/dw_primary'), { ownsClient: true }),
}));
