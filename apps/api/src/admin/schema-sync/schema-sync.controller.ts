import { Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiConflictResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import type { SchemaSyncReport, SchemaSyncResult } from '@dualwrite/backup';
import { AdminRole } from '../../admin-auth/admin-role.decorator';
import { SchemaSyncAdminService } from './schema-sync-admin.service';

/** Store B's tables against the entity registry: what is missing, and creating it. */
@ApiTags('admin')
@ApiBearerAuth()
@AdminRole('viewer')
@Controller('admin/schema-sync')
export class SchemaSyncController {
  constructor(private readonly schemaSync: SchemaSyncAdminService) {}

  @Get()
  @ApiOperation({
    summary: "Store B's tables against the entity registry: missing tables, columns (or of another type), primary keys, owner-column indexes, RLS off, missing service-role and owner policies",
  })
  @ApiServiceUnavailableResponse({ description: 'SUPABASE_DB_URL is not set, or store B cannot be reached after 3 retries' })
  report(): Promise<SchemaSyncReport> {
    return this.schemaSync.inspect();
  }

  @Post()
  @HttpCode(200)
  @AdminRole('admin')
  @ApiOperation({
    summary: 'Create what is missing on store B (tables with RLS on, service-role and owner policies, grants, columns, indexes) in one transaction; answers what it ran and a fresh report',
  })
  @ApiConflictResponse({ description: 'A statement failed: nothing was changed (the message names the statement and why)' })
  @ApiServiceUnavailableResponse({ description: 'SUPABASE_DB_URL is not set, or store B cannot be reached after 3 retries' })
  apply(): Promise<SchemaSyncResult> {
    return this.schemaSync.apply();
  }
}
