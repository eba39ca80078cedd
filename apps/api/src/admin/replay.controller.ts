import { Body, Controller, Get, HttpCode, Param, Post, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { AdminRole } from '../admin-auth/admin-role.decorator';
import type { ExpressRequestLike } from '../http/express-shapes';
import { AdminCaller } from './admin-caller';
import { DeadOperationsService, type AbandonedView, type RequeuedView } from './dead-operations.service';
import { parseRequest } from './parse-request';
import { openApiSchemaOf } from './openapi-schema';
import { abandonBody } from './replay.schema';
import { DEAD_OPERATIONS_SHOWN, ReplayStatusService, type ReplayStatusView } from './replay-status.service';

/** The replay of secondary writes: ledger counts, queue depth and the dead letters. */
@ApiTags('admin')
@ApiBearerAuth()
@AdminRole('viewer')
@Controller('admin/replay')
export class ReplayController {
  constructor(
    private readonly replay: ReplayStatusService,
    private readonly dead: DeadOperationsService,
    private readonly caller: AdminCaller,
  ) {}

  @Get()
  @ApiOperation({ summary: `Ledger counts by status, dw-replay queue depth, and the ${DEAD_OPERATIONS_SHOWN} oldest dead operations` })
  status(): Promise<ReplayStatusView> {
    return this.replay.status();
  }

  @Post(':opId/requeue')
  @HttpCode(200)
  @AdminRole('operator')
  @ApiOperation({
    summary:
      'Requeue a dead operation once its cause is fixed: owed again (or of unknown outcome when the primary never answered), attempts from zero, its replay queued. ' +
      '409 when it is not dead, or has no keys to sync (a serial create whose key nobody learnt); 404 when unknown',
  })
  @ApiParam({ name: 'opId', description: 'the operation id (uuid)' })
  requeue(@Param('opId') opId: string, @Req() request: ExpressRequestLike): Promise<RequeuedView> {
    return this.dead.requeue(opId, this.caller.labelOf(request));
  }

  @Post(':opId/abandon')
  @HttpCode(200)
  @AdminRole('operator')
  @ApiOperation({
    summary:
      'Abandon a dead serial create whose key nobody learnt (no replay can find its row), once reconciliation has dealt with its row if it landed: ' +
      'it was never acknowledged, and no longer refuses flips. 409 for any other operation (requeue one with keys); 404 when unknown',
  })
  @ApiParam({ name: 'opId', description: 'the operation id (uuid)' })
  @ApiBody({ schema: openApiSchemaOf(abandonBody) })
  abandon(@Param('opId') opId: string, @Body() body: unknown, @Req() request: ExpressRequestLike): Promise<AbandonedView> {
    return this.dead.abandon(opId, this.caller.labelOf(request), parseRequest(abandonBody, body, 'body').reason);
  }
}
