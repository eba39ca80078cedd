import { Body, Controller, Get, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBadRequestResponse, ApiBearerAuth, ApiBody, ApiConflictResponse, ApiNotFoundResponse, ApiOperation, ApiQuery, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import type { RunProgress } from '@dualwrite/reconcile';
import { AdminRole } from '../../admin-auth/admin-role.decorator';
import type { ExpressRequestLike } from '../../http/express-shapes';
import { AdminCaller } from '../admin-caller';
import { openApiSchemaOf } from '../openapi-schema';
import { parseRequest } from '../parse-request';
import { RunsAdminService, type StartedRunView } from '../reconcile/runs-admin.service';
import { copyStartBody, runListQuery, selectionOf } from '../reconcile/runs.schema';

/** Distributed initial copies: start one (chunk jobs any number of workers run, parents first), follow it, list them. */
@ApiTags('admin')
@ApiBearerAuth()
@AdminRole('viewer')
@Controller('admin/copy')
export class CopyController {
  constructor(
    private readonly runs: RunsAdminService,
    private readonly caller: AdminCaller,
  ) {}

  @Post()
  @HttpCode(202)
  @AdminRole('operator')
  @ApiOperation({
    summary:
      'Start a copy of an entity, several or all from store a (or b) to the other through the protocol\'s KeySync, chunk by chunk, each chunk ' +
      'recorded (an unfinished copy-data run is resumed, never restarted); keys written meanwhile are synced again at the end. ' +
      'With `rate`, the run copies at most that many rows per second whatever the number of workers.',
  })
  @ApiBody({ schema: openApiSchemaOf(copyStartBody) })
  @ApiAcceptedResponse({ description: '{ runId, kind, entities, statusUrl }' })
  @ApiBadRequestResponse({ description: 'unknown entity (the message lists the valid ones) or a bad option, named' })
  @ApiConflictResponse({ description: 'a copy of one of the entities is running (here or in copy-data): { message, runningRunId, entity }' })
  @ApiServiceUnavailableResponse({ description: 'store B is not configured' })
  start(@Body() body: unknown, @Req() request: ExpressRequestLike): Promise<StartedRunView> {
    const { entity, from, chunkSize, rate } = parseRequest(copyStartBody, body, 'body');
    const options = { ...(chunkSize === undefined ? {} : { segmentRows: chunkSize }), ...(rate === undefined ? {} : { rate }) };
    return this.runs.start({ kind: 'copy', selection: selectionOf(entity), from, options, requestedBy: this.caller.labelOf(request) });
  }

  @Get('runs')
  @ApiOperation({ summary: 'Copy runs, newest first, each with its progress' })
  @ApiQuery({ name: 'limit', required: false, type: Number, description: '1 to 200, default 20' })
  list(@Query() query: unknown): Promise<RunProgress[]> {
    return this.runs.list('copy', parseRequest(runListQuery, query, 'query').limit);
  }

  @Post('runs/:id/cancel')
  @HttpCode(200)
  @AdminRole('operator')
  @ApiOperation({ summary: 'Cancel a running copy run: it ends failed ("cancelled by …") and releases its entities; queued jobs then do nothing, and the next copy of an entity resumes its unfinished chunks' })
  @ApiNotFoundResponse({ description: 'no copy run with this id' })
  @ApiConflictResponse({ description: 'the run is not running' })
  cancel(@Param('id') id: string, @Req() request: ExpressRequestLike): Promise<RunProgress> {
    return this.runs.cancel('copy', id, this.caller.labelOf(request));
  }

  @Get('runs/:id')
  @ApiOperation({ summary: 'A copy run: status; chunks done, failed and total; rows copied of planned; keys left; rows/s and ETA; per entity the same' })
  @ApiNotFoundResponse({ description: 'no copy run with this id' })
  get(@Param('id') id: string): Promise<RunProgress> {
    return this.runs.progress('copy', id);
  }
}
