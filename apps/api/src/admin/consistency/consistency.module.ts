import { Module } from '@nestjs/common';
import { ConsistencyAdminService } from './consistency-admin.service';
import { ConsistencyController } from './consistency.controller';

/** GET /admin/consistency/:entity/:id. Needs API_STORES (StoresModule), the EntityRegistry and the control pool (DualWriteModule), all global. */
@Module({
  controllers: [ConsistencyController],
  providers: [ConsistencyAdminService],
})
export class ConsistencyModule {}
