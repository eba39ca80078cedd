import { Body, Controller, Delete, Get, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Page, Row } from '@dualwrite/dual-write';
import { EntityRowsService } from './entity-rows.service';
import { EXAMPLE_ENTITY_NAMES } from './example-entities';

const rowBody = { schema: { type: 'object', additionalProperties: true } } as const;

/** The example host app's routes: thin HTTP over EntityRowsService. */
@ApiTags('example-host')
@ApiParam({ name: 'entity', enum: EXAMPLE_ENTITY_NAMES })
@Controller('api/:entity')
export class EntityRowsController {
  constructor(private readonly rows: EntityRowsService) {}

  @Post()
  @ApiOperation({ summary: 'Create a row (uuid keys are assigned when omitted; serial keys by the database)' })
  @ApiBody(rowBody)
  create(@Param('entity') entity: string, @Body() body: unknown): Promise<Row> {
    return this.rows.create(entity, body);
  }

  @Get()
  @ApiOperation({ summary: 'List rows in primary key order (keyset pagination: pass nextAfter as after)' })
  @ApiQuery({ name: 'limit', required: false, type: Number })
  @ApiQuery({ name: 'after', required: false, type: String })
  list(@Param('entity') entity: string, @Query('limit') limit?: string, @Query('after') after?: string): Promise<Page> {
    return this.rows.list(entity, limit, after);
  }

  @Get(':id')
  get(@Param('entity') entity: string, @Param('id') id: string): Promise<Row> {
    return this.rows.get(entity, id);
  }

  @Patch(':id')
  @ApiBody(rowBody)
  update(@Param('entity') entity: string, @Param('id') id: string, @Body() body: unknown): Promise<Row> {
    return this.rows.update(entity, id, body);
  }

  @Delete(':id')
  delete(@Param('entity') entity: string, @Param('id') id: string): Promise<Row> {
    return this.rows.delete(entity, id);
  }
}
