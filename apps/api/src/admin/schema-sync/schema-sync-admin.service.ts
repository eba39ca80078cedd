import { ConflictException, Inject, Injectable, ServiceUnavailableException } from '@nestjs/common';
import { DatabaseUnreachableError, SchemaSync, SchemaSyncError, type SchemaSyncReport, type SchemaSyncResult } from '@dualwrite/backup';
import type { PlatformConfig } from '@dualwrite/config';
import { EntityRegistry } from '@dualwrite/stores';
import { PLATFORM_CONFIG } from '../../api.tokens';

/** Store B's schema against the host's entity registry, over SUPABASE_DB_URL (a connection per request). */
@Injectable()
export class SchemaSyncAdminService {
  constructor(
    @Inject(PLATFORM_CONFIG) private readonly config: PlatformConfig,
    private readonly registry: EntityRegistry,
  ) {}

  inspect(): Promise<SchemaSyncReport> {
    return this.run((sync) => sync.inspect());
  }

  apply(): Promise<SchemaSyncResult> {
    return this.run((sync) => sync.apply());
  }

  private async run<T>(work: (sync: SchemaSync) => Promise<T>): Promise<T> {
    const dbUrl = this.config.supabase?.dbUrl;
    if (!dbUrl) {
      throw new ServiceUnavailableException("Schema sync needs store B's Postgres connection: set SUPABASE_DB_URL (and SUPABASE_URL).");
    }
    try {
      return await work(new SchemaSync(dbUrl, this.registry.all()));
    } catch (error) {
      if (error instanceof DatabaseUnreachableError) throw new ServiceUnavailableException(error.message);
      if (error instanceof SchemaSyncError) throw new ConflictException(error.message);
      throw error;
    }
  }
}
