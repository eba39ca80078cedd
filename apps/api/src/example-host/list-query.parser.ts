import { BadRequestException } from '@nestjs/common';
import type { EntityDefinition, PageRequest } from '@dualwrite/stores';
import { parseEntityKey } from './entity-key.parser';

export const DEFAULT_PAGE_LIMIT = 50;
export const MAX_PAGE_LIMIT = 500;

/** `?limit&after` → a keyset page request. */
export function parseListQuery(entity: EntityDefinition, limit?: string, after?: string): PageRequest {
  const parsedLimit = limit === undefined || limit === '' ? DEFAULT_PAGE_LIMIT : Number(limit);
  if (!Number.isInteger(parsedLimit) || parsedLimit < 1 || parsedLimit > MAX_PAGE_LIMIT) {
    throw new BadRequestException(`Invalid limit "${limit}": must be an integer from 1 to ${MAX_PAGE_LIMIT}.`);
  }
  return {
    limit: parsedLimit,
    ...(after === undefined || after === '' ? {} : { after: parseEntityKey(entity, after, 'after') }),
  };
}
