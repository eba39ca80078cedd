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
 * `full` for creates and upserts; `partial` for updates. Fields the contract does not know are refused.
 */
export function validateRow(entity: EntityDefinition, payload: unknown, shape: 'full' | 'partial'): Row {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw new ContractViolationError(entity.name, [{ path: '', message: 'must be a JSON object' }]);
  }
  let schema: z.ZodType = entity.contract;
  if (entity.contract instanceof z.ZodObject) {
    schema = shape === 'partial' ? entity.contract.partial().strict() : entity.contract.strict();
  }
  const parsed = schema.safeParse(payload);
  if (!parsed.success) {
    throw new ContractViolationError(
      entity.name,
      parsed.error.issues.map((issue) => ({
        path: issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : issue.path.map(String).join('.'),
        message: issue.code === 'unrecognized_keys' ? 'is not a field of this entity' : issue.message,
      })),
    );
  }
  return parsed.data as Row;
}
