import { Module } from '@nestjs/common';
import { EntityRowsController } from './entity-rows.controller';
import { EntityRowsService } from './entity-rows.service';
import { SignupController } from './signup.controller';

/** The example host app: generic CRUD through DualWriteService, and two routes through @DualWrite. */
@Module({
  controllers: [SignupController, EntityRowsController],
  providers: [EntityRowsService],
})
export class ExampleHostModule {}
