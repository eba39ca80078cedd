import { z } from 'zod';
import type { EntityDefinition, Row } from './entity.types';

export interface ContractIssue {
  /** Field path, e.g. `amount` or `metadata.limits`. */
  path: string;
  message: string;
}

/** A write whose payload breaks the entity's contract. Nothing was written anywhere. Maps to HTTP 400. */
export class ContractViolationError extends Error {
  constructor(
    readonly entity: string,
    readonly issues: ContractIssue[],
  ) {
    super(`Invalid ${entity} payload: ${issues.map((issue) => `${issue.path || '(body)'}: ${issue.message}`).join('; ')}`);
    this.name = 'ContractViolationError';
  }
}

/**
 * Checks a payload against the entity's zod contract and returns the parsed row (defaults applied).
 * `full` for creates and upserts; `partial` for updates (only the fields sent are kept). Fields the entity
 * does not define are refused, each named.
 */
export function validateRow(entity: EntityDefinition, payload: unknown, shape: 'full' | 'partial'): Row {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw new ContractViolationError(entity.name, [{ path: '', message: 'must be a JSON object' }]);
  }
  const sent = payload as Row;
  const unknown = Object.keys(sent).filter((field) => !entity.fields[field]);
  if (unknown.length > 0) {
    const known = Object.keys(entity.fields).join(', ');
    throw new ContractViolationError(entity.name, unknown.map((field) => ({ path: field, message: `unknown field (known: ${known})` })));
  }
  let schema: z.ZodType = entity.contract;
  if (shape === 'partial') {
    if (!(entity.contract instanceof z.ZodObject)) {
      throw new Error(`Entity "${entity.name}": its contract is not a zod object, so partial updates cannot be validated.`);
    }
    schema = entity.contract.partial();
  }
  const parsed = schema.safeParse(payload);
  if (!parsed.success) {
    throw new ContractViolationError(
      entity.name,
      parsed.error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message })),
    );
  }
  const row = parsed.data as Row;
  // zod fills defaults even into fields a patch left out; a patch must not reset them.
  return shape === 'partial' ? Object.fromEntries(Object.entries(row).filter(([field]) => field in sent)) : row;
}
