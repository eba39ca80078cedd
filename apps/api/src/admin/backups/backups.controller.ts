import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiBody, ApiConflictResponse, ApiNotFoundResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { BackupJobView, BackupManifest, BackupSummary, RestoreReport, ValidationReport } from '@dualwrite/backup';
import { AdminRole } from '../../admin-auth/admin-role.decorator';
import type { ExpressRequestLike } from '../../http/express-shapes';
import { AdminCaller } from '../admin-caller';
import { openApiSchemaOf } from '../openapi-schema';
import { parseRequest } from '../parse-request';
import { BackupsAdminService, type QueuedJob } from './backups-admin.service';
import { backupCreateBody, backupDeleteBody, backupListQuery, backupRestoreBody } from './backups.schema';

/** Backups of the stores' registered tables: list, take (queued, with progress), validate, drill, restore, delete. */
@ApiTags('admin')
@ApiBearerAuth()
@AdminRole('viewer')
@Controller('admin/backups')
export class BackupsController {
  constructor(
    private readonly backups: BackupsAdminService,
    private readonly caller: AdminCaller,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Backups from the index, newest first' })
  @ApiQuery({ name: 'store', required: false, enum: ['a', 'b'] })
  @ApiQuery({ name: 'status', required: false, enum: ['running', 'complete', 'failed'] })
  @ApiQuery({ name: 'limit', required: false, type: Number, description: '1 to 1000, default 100' })
  list(@Query() query: unknown): Promise<BackupSummary[]> {
    return this.backups.list(parseRequest(backupListQuery, query, 'query'));
  }

  @Post()
  @HttpCode(202)
  @AdminRole('operator')
  @ApiOperation({ summary: 'Queue a full or incremental backup of a store; answers with the job id to follow its progress' })
  @ApiBody({ schema: openApiSchemaOf(backupCreateBody) })
  @ApiAcceptedResponse({ description: '{ jobId, statusUrl }' })
  create(@Body() body: unknown, @Req() request: ExpressRequestLike): Promise<QueuedJob> {
    return this.backups.create(parseRequest(backupCreateBody, body, 'body'), this.caller.labelOf(request));
  }

  @Get('jobs/:jobId')
  @ApiOperation({ summary: 'A backup job: state, progress (phase, table, rows, percent), result or failure' })
  @ApiNotFoundResponse({ description: 'no such job' })
  job(@Param('jobId') jobId: string): Promise<BackupJobView> {
    return this.backups.job(jobId);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One backup: its index row and manifest' })
  @ApiNotFoundResponse({ description: 'unknown backup id' })
  get(@Param('id') id: string): Promise<{ summary: BackupSummary | null; manifest: BackupManifest }> {
    return this.backups.get(id);
  }

  @Post(':id/validate')
  @HttpCode(200)
  @AdminRole('operator')
  @ApiOperation({ summary: 'Re-hash every file of the backup (and its chain) and count the rows; names the first bad file' })
  validate(@Param('id') id: string): Promise<ValidationReport> {
    return this.backups.validate(id);
  }

  @Post(':id/drill')
  @HttpCode(202)
  @AdminRole('operator')
  @ApiOperation({ summary: 'Queue a restore drill: restore into a scratch database and compare every table checksum' })
  drill(@Param('id') id: string, @Req() request: ExpressRequestLike): Promise<QueuedJob> {
    return this.backups.drill(id, this.caller.labelOf(request));
  }

  @Post(':id/restore')
  @HttpCode(202)
  @AdminRole('admin')
  @ApiOperation({ summary: 'Restore the backup (full + incrementals) into a store in one transaction; "confirm" must repeat the id; "dryRun" answers at once with what would change' })
  @ApiBody({ schema: openApiSchemaOf(backupRestoreBody) })
  @ApiConflictResponse({ description: 'the backup fails validation, or the target schema differs (pass force)' })
  restore(@Param('id') id: string, @Body() body: unknown, @Req() request: ExpressRequestLike): Promise<QueuedJob | RestoreReport> {
    return this.backups.restore(id, parseRequest(backupRestoreBody, body, 'body'), this.caller.labelOf(request));
  }

  @Delete(':id')
  @AdminRole('admin')
  @ApiOperation({ summary: 'Delete a backup and the incrementals built on it; "confirm" must repeat the id' })
  @ApiBody({ schema: openApiSchemaOf(backupDeleteBody) })
  delete(@Param('id') id: string, @Body() body: unknown): Promise<{ deleted: string[] }> {
    return this.backups.delete(id, parseRequest(backupDeleteBody, body, 'body').confirm);
  }
}
