import { Module } from '@nestjs/common';
import { EntityRegistry } from '@dualwrite/dual-write';
import { ENTITY_REGISTRY } from '../api.tokens';
import { EntityRowsController } from './entity-rows.controller';
import { EntityRowsService } from './entity-rows.service';
import { EXAMPLE_ENTITIES } from './example-entities';

@Module({
  controllers: [EntityRowsController],
  providers: [{ provide: ENTITY_REGISTRY, useValue: new EntityRegistry(EXAMPLE_ENTITIES) }, EntityRowsService],
})
export class ExampleHostModule {}
