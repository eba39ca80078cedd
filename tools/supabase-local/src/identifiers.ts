import { badRequest } from './postgrest-errors';

const identifierPattern = /^[A-Za-z_][A-Za-z0-9_$]{0,62}$/;
/** Type names a select may cast to: one word (`text`, `numeric`, `timestamptz`), optionally an array (`text[]`). */
const typeNamePattern = /^[A-Za-z_][A-Za-z0-9_]{0,62}(\[\])?$/;

/**
 * A table, column, schema or function name as a quoted SQL identifier. Only plain names are accepted, so the
 * quoting can never be escaped; anything else is a 400 before any SQL is built.
 */
export function quoteIdentifier(name: string, what = 'name'): string {
  if (!identifierPattern.test(name)) {
    throw badRequest(`"${name}" is not a valid ${what}`, 'supabase-local accepts names matching [A-Za-z_][A-Za-z0-9_$]*');
  }
  return `"${name}"`;
}

export function isIdentifier(name: string): boolean {
  return identifierPattern.test(name);
}

/** A cast target from the select list (`amount::text`), emitted unquoted after validation. */
export function checkedTypeName(name: string): string {
  if (!typeNamePattern.test(name)) throw badRequest(`"${name}" is not a valid cast type`);
  return name;
}
