import { Module } from '@nestjs/common';
import { AdminCaller } from '../admin-caller';
import { BackupsAdminService } from './backups-admin.service';
import { BackupsController } from './backups.controller';

/** /admin/backups. Needs PLATFORM_CONFIG (ApiModule, global). */
@Module({
  controllers: [BackupsController],
  providers: [AdminCaller, BackupsAdminService],
})
export class BackupsAdminModule {}
