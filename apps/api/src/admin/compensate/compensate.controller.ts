import { BadRequestException, Body, Controller, Get, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBearerAuth, ApiBody, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiQuery, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import type { RepairActionRecord, RepairRunRecord } from '@dualwrite/reconcile';
import { AdminRole } from '../../admin-auth/admin-role.decorator';
import type { ExpressRequestLike } from '../../http/express-shapes';
import { AdminCaller } from '../admin-caller';
import { openApiSchemaOf } from '../openapi-schema';
import { parseRequest } from '../parse-request';
import { CompensateAdminService, type RepairPlanView, type RepairResultView } from './compensate-admin.service';
import { compensateBody, repairIdParam, repairListQuery, repairRunQuery } from './compensate.schema';

/** compensate-data over REST: repair a reconcile run's findings (dry run by default) and read past repairs. */
@ApiTags('admin')
@ApiBearerAuth()
@AdminRole('viewer')
@Controller('admin/compensate')
export class CompensateController {
  constructor(
    private readonly compensate: CompensateAdminService,
    private readonly caller: AdminCaller,
  ) {}

  @Post()
  @HttpCode(200)
  @AdminRole('operator')
  @ApiOperation({
    summary:
      'Repair what a reconcile run found, from the current primary through the protocol\'s key sync. Give "runId" (reconcile_runs) or "report" ' +
      '(the JSON reconcile-data --report writes). A dry run by default: every change, every key skipped or left and why, nothing written. ' +
      '"apply": true with "confirm" repeating the run id and a "reason" repairs, audited in repair_runs / repair_actions, re-checks every key ' +
      'and answers what is left ("left": each key with why; empty when nothing is). Keys changed since the report are skipped, never overwritten.',
  })
  @ApiBody({ schema: openApiSchemaOf(compensateBody) })
  @ApiOkResponse({ description: 'dry run: { dryRun: true, actions, counts, warnings }; apply: { dryRun: false, repairId, actions, counts, left, warnings }' })
  @ApiBadRequestResponse({ description: 'malformed or foreign report, unknown entity or run, "confirm" missing or wrong: names what is wrong; nothing applied' })
  @ApiServiceUnavailableResponse({ description: 'store B is not configured, or the control database lacks the repair tables' })
  run(@Body() body: unknown, @Req() request: ExpressRequestLike): Promise<RepairPlanView | RepairResultView> {
    return this.compensate.compensate(parseRequest(compensateBody, body, 'body'), this.caller.labelOf(request));
  }

  @Get()
  @ApiOperation({ summary: 'Past repairs (repair_runs), newest first: status, who and why, counts per outcome, keys left' })
  @ApiQuery({ name: 'limit', required: false, type: Number, description: '1 to 500, default 50' })
  list(@Query() query: unknown): Promise<RepairRunRecord[]> {
    return this.compensate.list(parseRequest(repairListQuery, query, 'query').limit);
  }

  @Get(':repairId')
  @ApiOperation({ summary: 'One repair and its actions per key (planned action, outcome, reason, whether it still differs)' })
  @ApiQuery({ name: 'actions', required: false, type: Number, description: 'actions returned, 1 to 10000, default 1000 (actionsTotal says how many)' })
  @ApiNotFoundResponse({ description: 'no such repair' })
  get(@Param('repairId') repairId: string, @Query() query: unknown): Promise<{ run: RepairRunRecord; actions: RepairActionRecord[]; actionsTotal: number }> {
    if (!repairIdParam.safeParse(repairId).success) throw new BadRequestException(`"${repairId}" is not a repair id (a uuid)`);
    return this.compensate.get(repairId, parseRequest(repairRunQuery, query, 'query').actions);
  }
}
