import { PostgrestError } from './postgrest-errors';

/**
 * The `Prefer` header (RFC 7240) as PostgREST reads it
 * (https://docs.postgrest.org/en/v12/references/api/preferences.html), plus refusals for what this endpoint
 * does not implement.
 */

/** What a request does, which decides where a preference applies (max-affected) and what Preference-Applied names. */
export type PreferAction = 'read' | 'insert' | 'update' | 'delete' | 'rpc';

export interface Preferences {
  handling: 'strict' | 'lenient' | undefined;
  return: 'minimal' | 'representation' | undefined;
  /** planned and estimated are answered with the exact count (the local tables are small). */
  count: 'exact' | 'planned' | 'estimated' | undefined;
  resolution: 'merge-duplicates' | 'ignore-duplicates' | undefined;
  missing: 'default' | 'null' | undefined;
  /** Honoured as by a PostgREST with `db-tx-end = commit-allow-override`: rollback runs everything, then rolls back. */
  tx: 'commit' | 'rollback' | undefined;
  /** Set only with handling=strict: PostgREST ignores max-affected under lenient handling. */
  maxAffected: number | undefined;
}

/** Preferences PostgREST has that this endpoint does not implement: refused whatever the handling. */
const notImplemented: readonly RegExp[] = [/^return=headers-only$/, /^params=single-object$/, /^timezone=/, /^timeout=/];

const implementedSummary =
  'supabase-local implements handling=strict|lenient, return=minimal|representation, count=exact|planned|estimated, ' +
  'resolution=merge-duplicates|ignore-duplicates, missing=default|null, tx=commit|rollback and max-affected=<n> (PATCH, DELETE, RPC)';

const choices = {
  handling: ['strict', 'lenient'],
  return: ['minimal', 'representation'],
  count: ['exact', 'planned', 'estimated'],
  resolution: ['merge-duplicates', 'ignore-duplicates'],
  missing: ['default', 'null'],
  tx: ['commit', 'rollback'],
} as const;

type ChoiceKey = keyof typeof choices;

function isChoiceKey(key: string): key is ChoiceKey {
  return Object.prototype.hasOwnProperty.call(choices, key);
}

const maxAffectedActions: readonly PreferAction[] = ['update', 'delete', 'rpc'];

/** The header's tokens in order: several `Prefer` headers and comma-separated lists both count. */
export function preferTokens(header: string | string[] | undefined): string[] {
  return (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map((token) => token.trim())
    .filter(Boolean);
}

/**
 * Reads the preferences of one request. The first occurrence of a preference wins (as in PostgREST).
 * - handling=strict: any token that is unknown, malformed or cannot be fulfilled here → 400 PGRST122 naming them all.
 * - lenient (the default): such tokens are ignored, as PostgREST ignores them, except preferences PostgREST has
 *   and this endpoint does not implement (return=headers-only, params=single-object, timezone, timeout): those are refused
 *   with 400 so a test never passes here on behaviour a real PostgREST would give differently.
 */
export function parsePreferences(header: string | string[] | undefined, action: PreferAction): Preferences {
  const preferences: Preferences = {
    handling: undefined,
    return: undefined,
    count: undefined,
    resolution: undefined,
    missing: undefined,
    tx: undefined,
    maxAffected: undefined,
  };
  const invalid: string[] = [];
  const unsupported: string[] = [];
  let maxAffected: number | undefined;
  for (const token of preferTokens(header)) {
    if (notImplemented.some((pattern) => pattern.test(token))) {
      unsupported.push(token);
      continue;
    }
    const equals = token.indexOf('=');
    const key = equals < 0 ? token : token.slice(0, equals);
    const value = equals < 0 ? '' : token.slice(equals + 1);
    if (key === 'max-affected') {
      const limit = /^\d{1,15}$/.test(value) ? Number(value) : undefined;
      // Only mutations and function calls have affected rows; elsewhere strict handling cannot fulfil it.
      if (limit === undefined || !maxAffectedActions.includes(action)) invalid.push(token);
      else maxAffected ??= limit;
      continue;
    }
    if (!isChoiceKey(key) || !(choices[key] as readonly string[]).includes(value)) {
      invalid.push(token);
      continue;
    }
    (preferences as unknown as Record<ChoiceKey, string | undefined>)[key] ??= value;
  }
  if (preferences.handling === 'strict' && invalid.length + unsupported.length > 0) {
    const named = preferTokens(header).filter((token) => invalid.includes(token) || unsupported.includes(token));
    throw new PostgrestError(400, 'PGRST122', 'Invalid preferences given with handling=strict', `Invalid preferences: ${named.join(', ')}`);
  }
  if (unsupported.length > 0) {
    throw new PostgrestError(
      400,
      'PGRST122',
      'Preferences not implemented by supabase-local',
      `Not implemented: ${unsupported.join(', ')}`,
      implementedSummary,
    );
  }
  if (preferences.handling === 'strict') preferences.maxAffected = maxAffected;
  return preferences;
}

/**
 * The `Preference-Applied` value PostgREST sends for an action: the honoured preferences in its order
 * (resolution, missing, return, count, tx, handling, max-affected), each only where it applies; undefined when none.
 */
export function preferenceApplied(preferences: Preferences, action: PreferAction): string | undefined {
  const applied: (string | undefined)[] = [
    action === 'insert' && preferences.resolution ? `resolution=${preferences.resolution}` : undefined,
    (action === 'insert' || action === 'update') && preferences.missing ? `missing=${preferences.missing}` : undefined,
    action !== 'read' && action !== 'rpc' && preferences.return ? `return=${preferences.return}` : undefined,
    preferences.count ? `count=${preferences.count}` : undefined,
    preferences.tx ? `tx=${preferences.tx}` : undefined,
    preferences.handling ? `handling=${preferences.handling}` : undefined,
    maxAffectedActions.includes(action) && preferences.maxAffected !== undefined ? `max-affected=${preferences.maxAffected}` : undefined,
  ];
  const values = applied.filter((value): value is string => value !== undefined);
  return values.length > 0 ? values.join(', ') : undefined;
}

/** With handling=strict and max-affected=N, more than N affected rows fail the request (and roll it back). */
export function checkMaxAffected(preferences: Preferences, affected: number): void {
  if (preferences.maxAffected !== undefined && affected > preferences.maxAffected) {
    throw new PostgrestError(400, 'PGRST124', 'Query result exceeds max-affected preference constraint', `The query affects ${affected} rows`);
  }
}
