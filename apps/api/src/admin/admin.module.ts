import { Module } from '@nestjs/common';
import { AdminCaller } from './admin-caller';
import { BreakersController } from './breakers.controller';
import { CompensateModule } from './compensate/compensate.module';
import { DiffsAdminService } from './diffs-admin.service';
import { DiffsController } from './diffs.controller';
import { FlagsAdminService } from './flags-admin.service';
import { FlagsController } from './flags.controller';
import { ReplayController } from './replay.controller';
import { DeadOperationsService } from './dead-operations.service';
import { ReplayStatusService } from './replay-status.service';
import { SchemaSyncModule } from './schema-sync/schema-sync.module';

/** The operator REST routes under /admin: flags, breakers, diffs, replay and schema sync. Needs DualWriteModule (global). */
@Module({
  imports: [SchemaSyncModule, CompensateModule],
  controllers: [FlagsController, BreakersController, DiffsController, ReplayController],
  providers: [AdminCaller, FlagsAdminService, DiffsAdminService, ReplayStatusService, DeadOperationsService],
})
export class AdminModule {}
