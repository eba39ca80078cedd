import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { API_STORES } from '../api.tokens';
import type { ApiStores } from './api-stores';

/** Closes both stores' connections when the application shuts down. */
@Injectable()
export class StoresCloser implements OnApplicationShutdown {
  private readonly logger = new Logger(StoresCloser.name);

  constructor(@Inject(API_STORES) private readonly stores: ApiStores) {}

  async onApplicationShutdown(): Promise<void> {
    const open = [this.stores.storeA, this.stores.storeB].filter((store) => store !== null);
    const results = await Promise.allSettled(open.map((store) => store.close()));
    results.forEach((result, index) => {
      if (result.status === 'rejected') {
        this.logger.warn(`store ${open[index]?.name} did not close cleanly: ${String(result.reason)}`);
      }
    });
  }
}
