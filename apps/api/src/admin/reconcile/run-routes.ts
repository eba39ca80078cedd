import { Controller, Get, HttpCode, Injectable, Param, Post, Query, Req, applyDecorators } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBadRequestResponse, ApiBearerAuth, ApiBody, ApiConflictResponse, ApiNotFoundResponse, ApiOperation, ApiQuery, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import type { z } from 'zod';
import type { RunKind, RunProgress } from '@dualwrite/reconcile';
import { AdminRole } from '../../admin-auth/admin-role.decorator';
import type { ExpressRequestLike } from '../../http/express-shapes';
import { AdminCaller } from '../admin-caller';
import { openApiSchemaOf } from '../openapi-schema';
import { parseRequest } from '../parse-request';
import { RunsAdminService } from './runs-admin.service';
import { runListQuery } from './runs.schema';

/** /admin/<kind>: viewers read, operators start and cancel (AdminAuthGuard). */
export const RunsController = (kind: RunKind) => applyDecorators(ApiTags('admin'), ApiBearerAuth(), AdminRole('viewer'), Controller(`admin/${kind}`));

/** POST /admin/<kind>: answers 202 at once with the run id; the workers run it. */
export function StartRunRoute(kind: RunKind, summary: string, body: z.ZodType, conflict: string): MethodDecorator {
  return applyDecorators(
    Post(),
    HttpCode(202),
    AdminRole('operator'),
    ApiOperation({ summary }),
    ApiBody({ schema: openApiSchemaOf(body) }),
    ApiAcceptedResponse({ description: '{ runId, kind, entities, statusUrl }' }),
    ApiBadRequestResponse({ description: 'unknown entity (the message lists the valid ones) or a bad option, named' }),
    ApiConflictResponse({ description: `a ${kind} of one of the entities is running${conflict}: { message, runningRunId, entity }` }),
    ApiServiceUnavailableResponse({ description: 'store B is not configured' }),
  );
}

/**
 * The routes both kinds of distributed run have once started (list, cancel, progress), as a base class for the
 * kind's controller, which adds its start (the bodies differ) and inherits the constructor.
 */
export function RunRoutes(kind: RunKind, summaries: { list: string; cancel: string; get: string }) {
  @Injectable()
  abstract class RunRoutesBase {
    constructor(
      protected readonly runs: RunsAdminService,
      protected readonly caller: AdminCaller,
    ) {}

    @Get('runs')
    @ApiOperation({ summary: summaries.list })
    @ApiQuery({ name: 'limit', required: false, type: Number, description: '1 to 200, default 20' })
    list(@Query() query: unknown): Promise<RunProgress[]> {
      return this.runs.list(kind, parseRequest(runListQuery, query, 'query').limit);
    }

    @Post('runs/:id/cancel')
    @HttpCode(200)
    @AdminRole('operator')
    @ApiOperation({ summary: summaries.cancel })
    @ApiNotFoundResponse({ description: `no ${kind} run with this id` })
    @ApiConflictResponse({ description: 'the run is not running' })
    cancel(@Param('id') id: string, @Req() request: ExpressRequestLike): Promise<RunProgress> {
      return this.runs.cancel(kind, id, this.caller.labelOf(request));
    }

    @Get('runs/:id')
    @ApiOperation({ summary: summaries.get })
    @ApiNotFoundResponse({ description: `no ${kind} run with this id` })
    get(@Param('id') id: string): Promise<RunProgress> {
      return this.runs.progress(kind, id);
    }
  }
  return RunRoutesBase;
}
