import { Module } from '@nestjs/common';
import { AdminCaller } from '../admin-caller';
import { CompensateAdminService } from './compensate-admin.service';
import { CompensateController } from './compensate.controller';

/** /admin/compensate. Needs API_STORES (StoresModule) and the control plane (DualWriteModule: registry, control pool, KeySync, ledger), all global. */
@Module({
  controllers: [CompensateController],
  providers: [AdminCaller, CompensateAdminService],
})
export class CompensateModule {}
