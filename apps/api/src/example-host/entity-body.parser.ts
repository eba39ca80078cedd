import { BadRequestException } from '@nestjs/common';
import type { EntityDefinition, Row } from '@dualwrite/dual-write';
import { z } from 'zod';

export interface BodyIssue {
  path: string;
  message: string;
}

function isPlainObject(value: unknown): value is Row {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function invalidBody(entity: EntityDefinition, issues: BodyIssue[]): BadRequestException {
  const summary = issues.map((issue) => `${issue.path || '(body)'}: ${issue.message}`).join('; ');
  return new BadRequestException({
    statusCode: 400,
    error: 'Bad Request',
    message: `Invalid ${entity.name} body: ${summary}`,
    issues,
  });
}

function unknownFieldIssues(entity: EntityDefinition, body: Row): BodyIssue[] {
  return Object.keys(body)
    .filter((field) => !entity.fields[field])
    .map((field) => ({ path: field, message: `unknown field (known: ${Object.keys(entity.fields).join(', ')})` }));
}

function parseWith(entity: EntityDefinition, schema: z.ZodType, body: unknown): Row {
  if (!isPlainObject(body)) throw invalidBody(entity, [{ path: '', message: 'expected a JSON object' }]);
  const unknown = unknownFieldIssues(entity, body);
  if (unknown.length > 0) throw invalidBody(entity, unknown);
  const result = schema.safeParse(body);
  if (!result.success) {
    throw invalidBody(
      entity,
      result.error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message })),
    );
  }
  if (!isPlainObject(result.data)) throw invalidBody(entity, [{ path: '', message: 'contract produced no object' }]);
  return result.data;
}

/** Validates a create body against the entity's zod contract; returns the row to insert (defaults applied). */
export function parseCreateBody(entity: EntityDefinition, body: unknown): Row {
  return parseWith(entity, entity.contract, body);
}

/**
 * Validates a patch body against the partial contract. Only the fields the caller sent are kept:
 * zod fills defaults even for absent optional fields, and a patch must not reset them.
 */
export function parsePatchBody(entity: EntityDefinition, body: unknown): Row {
  const contract = entity.contract;
  if (!(contract instanceof z.ZodObject)) {
    throw new Error(`Entity "${entity.name}": its contract is not a zod object, so partial updates cannot be validated.`);
  }
  const parsed = parseWith(entity, contract.partial(), body);
  const sent = isPlainObject(body) ? body : {};
  return Object.fromEntries(Object.entries(parsed).filter(([field]) => field in sent));
}
