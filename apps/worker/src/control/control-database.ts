import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { PlatformConfig } from '@dualwrite/config';
import { Pool } from 'pg';
import { PLATFORM_CONFIG } from '../worker.constants';

/** The pool on the control tables (ledger, diffs): CONTROL_DATABASE_URL, store A's database unless set. */
@Injectable()
export class ControlDatabase implements OnApplicationShutdown {
  readonly pool: Pool;

  constructor(@Inject(PLATFORM_CONFIG) config: PlatformConfig) {
    this.pool = new Pool({ connectionString: config.controlDatabaseUrl, max: 6, idleTimeoutMillis: 10_000 });
    // An idle client losing its connection must not crash the worker; the next query reports the problem.
    this.pool.on('error', () => undefined);
  }

  // Runs after the consumers and crons stopped (they close in beforeApplicationShutdown).
  async onApplicationShutdown(): Promise<void> {
    await this.pool.end();
  }
}
