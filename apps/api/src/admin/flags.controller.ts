import { Body, Controller, Get, Put, Query, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiConflictResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { FlagHistoryEntry } from '@dualwrite/dual-write';
import { AdminRole } from '../admin-auth/admin-role.decorator';
import type { ExpressRequestLike } from '../http/express-shapes';
import { AdminCaller } from './admin-caller';
import { flagChangeBody, flagHistoryQuery } from './flag-change.schema';
import type { FlagView } from './flag-view';
import { FlagsAdminService, type FlagChangeView } from './flags-admin.service';
import { openApiSchemaOf } from './openapi-schema';
import { parseRequest } from './parse-request';

/** The phase flags: read them (viewer), change them with a reason (operator), and their history. */
@ApiTags('admin')
@ApiBearerAuth()
@AdminRole('viewer')
@Controller('admin/flags')
export class FlagsController {
  constructor(
    private readonly flags: FlagsAdminService,
    private readonly caller: AdminCaller,
  ) {}

  @Get()
  @ApiOperation({ summary: 'The phase flags, the mode they select, their version and last change' })
  current(): Promise<FlagView> {
    return this.flags.current();
  }

  @Put()
  @AdminRole('operator')
  @ApiOperation({
    summary:
      'Change the phase flags (reason required; expectedVersion guards against a concurrent change). Only neighbouring phases are steps; 2→3 and 3→4 need every entity copied and reconciled clean since, 4→3 the reverse copy: "force": true overrides, recorded in the history',
  })
  @ApiBody({ schema: openApiSchemaOf(flagChangeBody) })
  @ApiConflictResponse({ description: 'expectedVersion is stale, the flip barrier refused, or a phase gate is unmet (`unmet` names each condition)' })
  change(@Body() body: unknown, @Req() request: ExpressRequestLike): Promise<FlagChangeView> {
    return this.flags.change(parseRequest(flagChangeBody, body, 'body'), this.caller.labelOf(request));
  }

  @Get('history')
  @ApiOperation({ summary: 'Flag changes, newest first: who, when, why, before and after' })
  @ApiQuery({ name: 'limit', required: false, type: Number })
  history(@Query() query: unknown): Promise<FlagHistoryEntry[]> {
    return this.flags.history(parseRequest(flagHistoryQuery, query, 'query').limit);
  }
}
