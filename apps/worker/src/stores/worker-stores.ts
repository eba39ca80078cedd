import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { PrismaStore, SupabaseStore, type StorePlugin } from '@dualwrite/stores';
import { type PlatformConfig } from '@dualwrite/config';
import { createPrismaClient } from '@dualwrite/example-domain';
import { PLATFORM_CONFIG, WORKER_STORE_FACTORY } from '../worker.constants';

export interface StorePair {
  a: StorePlugin;
  /** Null when Supabase is not configured: nothing to replay to. */
  b: StorePlugin | null;
}

export type StoreFactory = (config: PlatformConfig) => StorePair;

/** Store A on PRIMARY_DATABASE_URL through Prisma; store B through supabase-js when Supabase is configured. */
export const createWorkerStores: StoreFactory = (config) => ({
  a: new PrismaStore(createPrismaClient(config.primaryDatabaseUrl), { ownsClient: true }),
  b: config.supabase
    ? new SupabaseStore({ url: config.supabase.url, serviceRoleKey: config.supabase.serviceRoleKey, databaseUrl: config.supabase.dbUrl })
    : null,
});

/** The stores the worker replays between, by the names the ledger records; closed when the worker stops. */
@Injectable()
export class WorkerStores implements OnApplicationShutdown {
  readonly a: StorePlugin;
  readonly b: StorePlugin | null;

  constructor(@Inject(PLATFORM_CONFIG) config: PlatformConfig, @Inject(WORKER_STORE_FACTORY) create: StoreFactory) {
    ({ a: this.a, b: this.b } = create(config));
  }

  byName(): Map<string, StorePlugin> {
    return new Map([this.a, ...(this.b ? [this.b] : [])].map((store) => [store.name, store]));
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled([this.a.close(), this.b?.close()]);
  }
}
