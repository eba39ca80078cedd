import { Module } from '@nestjs/common';
import { AdminCaller } from '../admin-caller';
import { CopyController } from '../copy/copy.controller';
import { ReconcileController } from './reconcile.controller';
import { RunsAdminService } from './runs-admin.service';

/**
 * /admin/reconcile and /admin/copy: distributed runs started here and executed by the workers (DW_RUNS_QUEUE).
 * Needs PLATFORM_CONFIG, API_STORES, the control pool and the EntityRegistry (all global).
 */
@Module({
  controllers: [ReconcileController, CopyController],
  providers: [AdminCaller, RunsAdminService],
})
export class RunsAdminModule {}
