import { BadRequestException } from '@nestjs/common';
import type { z } from 'zod';

export interface RequestIssue {
  /** The field at fault, e.g. `reason` or `limit`; empty for the body as a whole. */
  path: string;
  message: string;
}

function issueOf(issue: z.core.$ZodIssue): RequestIssue {
  if (issue.code === 'unrecognized_keys') return { path: issue.keys.join(', '), message: 'is not a known field' };
  return { path: issue.path.map(String).join('.'), message: issue.message };
}

/**
 * Validates a request body or query with its zod schema. A failure is a 400 whose message names every field
 * and what is wrong with it, in the shape the contract-violation filter uses (`issues: [{ path, message }]`).
 */
export function parseRequest<T extends z.ZodType>(schema: T, input: unknown, what: 'body' | 'query'): z.output<T> {
  const result = schema.safeParse(input ?? {});
  if (result.success) return result.data;
  const issues = result.error.issues.map(issueOf);
  const summary = issues.map((issue) => `${issue.path || `(${what})`}: ${issue.message}`).join('; ');
  throw new BadRequestException({ statusCode: 400, error: 'Bad Request', message: `Invalid ${what}: ${summary}`, issues });
}
