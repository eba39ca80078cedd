import { Body, Controller, Get, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBadRequestResponse, ApiBearerAuth, ApiBody, ApiConflictResponse, ApiNotFoundResponse, ApiOperation, ApiQuery, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import type { RunProgress } from '@dualwrite/reconcile';
import { AdminRole } from '../../admin-auth/admin-role.decorator';
import type { ExpressRequestLike } from '../../http/express-shapes';
import { AdminCaller } from '../admin-caller';
import { openApiSchemaOf } from '../openapi-schema';
import { parseRequest } from '../parse-request';
import { RunsAdminService, type StartedRunView } from './runs-admin.service';
import { reconcileStartBody, runListQuery, selectionOf } from './runs.schema';

/** Distributed reconcile runs: start one (the workers execute it as a BullMQ flow), follow its progress, list them. */
@ApiTags('admin')
@ApiBearerAuth()
@AdminRole('viewer')
@Controller('admin/reconcile')
export class ReconcileController {
  constructor(
    private readonly runs: RunsAdminService,
    private readonly caller: AdminCaller,
  ) {}

  @Post()
  @HttpCode(202)
  @AdminRole('operator')
  @ApiOperation({
    summary:
      'Start a reconcile run of an entity, several or all: segment checksums on both stores, bisection, row comparison and the ledger re-check, ' +
      'split into segment jobs any number of workers run. Answers at once with the run id; findings go to reconcile_findings.',
  })
  @ApiBody({ schema: openApiSchemaOf(reconcileStartBody) })
  @ApiAcceptedResponse({ description: '{ runId, kind, entities, statusUrl }' })
  @ApiBadRequestResponse({ description: 'unknown entity (the message lists the valid ones) or a bad option, named' })
  @ApiConflictResponse({ description: 'a reconcile of one of the entities is running: { message, runningRunId, entity }' })
  @ApiServiceUnavailableResponse({ description: 'store B is not configured' })
  start(@Body() body: unknown, @Req() request: ExpressRequestLike): Promise<StartedRunView> {
    const { entity, ...options } = parseRequest(reconcileStartBody, body, 'body');
    return this.runs.start({ kind: 'reconcile', selection: selectionOf(entity), options, requestedBy: this.caller.labelOf(request) });
  }

  @Get('runs')
  @ApiOperation({ summary: 'Reconcile runs, newest first, each with its progress' })
  @ApiQuery({ name: 'limit', required: false, type: Number, description: '1 to 200, default 20' })
  list(@Query() query: unknown): Promise<RunProgress[]> {
    return this.runs.list('reconcile', parseRequest(runListQuery, query, 'query').limit);
  }

  @Post('runs/:id/cancel')
  @HttpCode(200)
  @AdminRole('operator')
  @ApiOperation({ summary: 'Cancel a running reconcile run: it ends failed ("cancelled by …") and releases its entities; queued jobs then do nothing' })
  @ApiNotFoundResponse({ description: 'no reconcile run with this id' })
  @ApiConflictResponse({ description: 'the run is not running' })
  cancel(@Param('id') id: string, @Req() request: ExpressRequestLike): Promise<RunProgress> {
    return this.runs.cancel('reconcile', id, this.caller.labelOf(request));
  }

  @Get('runs/:id')
  @ApiOperation({
    summary:
      'A reconcile run: status; segments done, failed and total; rows covered of planned; findings stored so far and keys found differing so far; ' +
      'rows/s and ETA (seconds, from the rate so far); per entity the same',
  })
  @ApiNotFoundResponse({ description: 'no reconcile run with this id' })
  get(@Param('id') id: string): Promise<RunProgress> {
    return this.runs.progress('reconcile', id);
  }
}
