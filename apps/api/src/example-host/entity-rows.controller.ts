import { Body, Controller, Delete, Get, Headers, Param, Patch, Post, Query, Res } from '@nestjs/common';
import { ApiBody, ApiHeader, ApiOperation, ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';
import { parseIdempotencyKey } from '@dualwrite/dual-write';
import { type Page, type Row } from '@dualwrite/stores';
import type { ExpressResponseLike } from '../http/express-shapes';
import { withDualWriteHeaders } from './dual-write-headers';
import { EntityRowsService } from './entity-rows.service';
import { EXAMPLE_ENTITY_NAMES } from './example-entities';

const rowBody = { schema: { type: 'object', additionalProperties: true } } as const;
const idempotencyHeader = {
  name: 'Idempotency-Key',
  required: false,
  description: 'UUID; a retried write with the same key is applied once (a create without an id gets the key as its id); the key sent with another write is refused (400)',
} as const;

/** The example host app's routes: thin HTTP over EntityRowsService (the programmatic DualWriteService way in). */
@ApiTags('example-host')
@ApiParam({ name: 'entity', enum: EXAMPLE_ENTITY_NAMES })
@Controller('api/:entity')
export class EntityRowsController {
  constructor(private readonly rows: EntityRowsService) {}

  @Post()
  @ApiOperation({ summary: 'Create a row (uuid keys are assigned when omitted; serial keys by the database)' })
  @ApiBody(rowBody)
  @ApiHeader(idempotencyHeader)
  async create(
    @Param('entity') entity: string,
    @Body() body: unknown,
    @Headers('idempotency-key') key: string | undefined,
    @Res({ passthrough: true }) response: ExpressResponseLike,
  ): Promise<Row> {
    return withDualWriteHeaders(response, await this.rows.create(entity, body, parseIdempotencyKey(entity, key)));
  }

  @Get()
  @ApiOperation({ summary: 'List rows in primary key order (keyset pagination: pass nextAfter as after)' })
  @ApiQuery({ name: 'limit', required: false, type: Number })
  @ApiQuery({ name: 'after', required: false, type: String })
  async list(
    @Param('entity') entity: string,
    @Res({ passthrough: true }) response: ExpressResponseLike,
    @Query('limit') limit?: string,
    @Query('after') after?: string,
  ): Promise<Page> {
    return withDualWriteHeaders(response, await this.rows.list(entity, limit, after));
  }

  @Get(':id')
  async get(@Param('entity') entity: string, @Param('id') id: string, @Res({ passthrough: true }) response: ExpressResponseLike): Promise<Row> {
    return withDualWriteHeaders(response, await this.rows.get(entity, id));
  }

  @Patch(':id')
  @ApiBody(rowBody)
  @ApiHeader(idempotencyHeader)
  async update(
    @Param('entity') entity: string,
    @Param('id') id: string,
    @Body() body: unknown,
    @Headers('idempotency-key') key: string | undefined,
    @Res({ passthrough: true }) response: ExpressResponseLike,
  ): Promise<Row> {
    return withDualWriteHeaders(response, await this.rows.update(entity, id, body, parseIdempotencyKey(entity, key)));
  }

  @Delete(':id')
  @ApiHeader(idempotencyHeader)
  async delete(
    @Param('entity') entity: string,
    @Param('id') id: string,
    @Headers('idempotency-key') key: string | undefined,
    @Res({ passthrough: true }) response: ExpressResponseLike,
  ): Promise<Row> {
    return withDualWriteHeaders(response, await this.rows.delete(entity, id, parseIdempotencyKey(entity, key)));
  }
}
