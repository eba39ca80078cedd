import { Module } from '@nestjs/common';
import { SchemaSyncAdminService } from './schema-sync-admin.service';
import { SchemaSyncController } from './schema-sync.controller';

/** GET/POST /admin/schema-sync. Needs PLATFORM_CONFIG (ApiModule) and the EntityRegistry (DualWriteModule), both global. */
@Module({
  controllers: [SchemaSyncController],
  providers: [SchemaSyncAdminService],
})
export class SchemaSyncModule {}
