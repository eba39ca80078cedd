import { BadRequestException } from '@nestjs/common';
import type { EntityDefinition, RowKey } from '@dualwrite/stores';
import { z } from 'zod';

const uuid = z.uuid();

/** Turns the `:id` (or `after`) text of a URL into the entity's primary key value. */
export function parseEntityKey(entity: EntityDefinition, text: string, parameter = 'id'): RowKey {
  const type = entity.fields[entity.primaryKey]?.type;
  if (type === 'int') {
    const value = Number(text);
    if (/^\d+$/.test(text) && Number.isSafeInteger(value)) return value;
    throw keyError(entity, parameter, text, 'must be a positive integer');
  }
  if (type === 'uuid') {
    if (uuid.safeParse(text).success) return text.toLowerCase();
    throw keyError(entity, parameter, text, 'must be a UUID');
  }
  if (text.length === 0) throw keyError(entity, parameter, text, 'must not be empty');
  return text;
}

function keyError(entity: EntityDefinition, parameter: string, text: string, reason: string): BadRequestException {
  return new BadRequestException(`Invalid ${entity.name} ${parameter} "${text.slice(0, 80)}": ${reason}.`);
}
