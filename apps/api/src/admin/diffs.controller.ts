import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { AdminRole } from '../admin-auth/admin-role.decorator';
import { DiffsAdminService, type DiffPage, type DiffStatsView } from './diffs-admin.service';
import { DIFF_SEVERITIES, MAX_DIFF_PAGE, diffCleanupBody, diffListQuery, diffStatsQuery } from './diffs.schema';
import { openApiSchemaOf } from './openapi-schema';
import { parseRequest } from './parse-request';

/** Differences seen between the stores (dual_write_diffs). */
@ApiTags('admin')
@ApiBearerAuth()
@AdminRole('viewer')
@Controller('admin/diffs')
export class DiffsController {
  constructor(private readonly diffs: DiffsAdminService) {}

  @Get('stats')
  @ApiOperation({ summary: 'Diff counts by endpoint and severity over the last N days' })
  @ApiQuery({ name: 'days', required: false, type: Number, description: 'default 7' })
  stats(@Query() query: unknown): Promise<DiffStatsView> {
    return this.diffs.stats(parseRequest(diffStatsQuery, query, 'query').days);
  }

  @Get()
  @ApiOperation({ summary: 'Diffs newest first, filtered; keyset pages (pass nextBefore as before)' })
  @ApiQuery({ name: 'severity', required: false, enum: DIFF_SEVERITIES })
  @ApiQuery({ name: 'entity', required: false, type: String })
  @ApiQuery({ name: 'endpoint', required: false, type: String, description: 'the API endpoint the diff was seen on' })
  @ApiQuery({ name: 'unresolved', required: false, type: Boolean })
  @ApiQuery({ name: 'before', required: false, type: Number, description: 'a diff id: only older diffs' })
  @ApiQuery({ name: 'limit', required: false, type: Number, description: `1 to ${MAX_DIFF_PAGE}, default 50` })
  list(@Query() query: unknown): Promise<DiffPage> {
    return this.diffs.list(parseRequest(diffListQuery, query, 'query'));
  }

  @Post('cleanup')
  @HttpCode(200)
  @AdminRole('operator')
  @ApiOperation({ summary: 'Delete info diffs older than N days; warning and error diffs are kept' })
  @ApiBody({ schema: openApiSchemaOf(diffCleanupBody) })
  cleanup(@Body() body: unknown): Promise<{ days: number; deleted: number }> {
    return this.diffs.cleanup(parseRequest(diffCleanupBody, body, 'body').days);
  }
}
