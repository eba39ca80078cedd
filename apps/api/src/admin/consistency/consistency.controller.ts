import { Controller, Get, Param } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBearerAuth, ApiOperation, ApiParam, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import type { ConsistencyReport } from '@dualwrite/reconcile';
import { AdminRole } from '../../admin-auth/admin-role.decorator';
import { ConsistencyAdminService } from './consistency-admin.service';

/** The runbook's validateDataConsistency over REST: one record on both stores, the ledger, and what to do. */
@ApiTags('admin')
@ApiBearerAuth()
@AdminRole('viewer')
@Controller('admin/consistency')
export class ConsistencyController {
  constructor(private readonly consistency: ConsistencyAdminService) {}

  @Get(':entity/:id')
  @ApiOperation({
    summary:
      'One record on the primary and the secondary (as the flags say now), compared as the dual-write comparison does: ' +
      '{ consistent, primary, secondary, differences, ledger (latest ops on the key; unsettled, owed and dead ones), recommendations }',
  })
  @ApiParam({ name: 'entity', description: 'A registered entity, e.g. budgets' })
  @ApiParam({ name: 'id', description: "The record's primary key (a uuid, or an integer for serial keys)" })
  @ApiBadRequestResponse({ description: 'Unknown entity (the message lists the valid ones) or a key that cannot be one of its keys' })
  @ApiServiceUnavailableResponse({ description: 'Store B is not configured, or a store is unavailable' })
  validate(@Param('entity') entity: string, @Param('id') id: string): Promise<ConsistencyReport> {
    return this.consistency.validate(entity, id);
  }
}
