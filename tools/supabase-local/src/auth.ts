import type { IncomingHttpHeaders } from 'node:http';
import jwt from 'jsonwebtoken';
import { PostgrestError } from './postgrest-errors';

/** The database roles a JWT may switch to, as on a Supabase project. */
export const apiRoles = ['anon', 'authenticated', 'service_role'] as const;
export type ApiRole = (typeof apiRoles)[number];

export interface RequestClaims {
  role: ApiRole;
  /** Every claim of the token, handed to PostgreSQL as request.jwt.claims. */
  claims: Record<string, unknown>;
}

function isApiRole(value: unknown): value is ApiRole {
  return typeof value === 'string' && (apiRoles as readonly string[]).includes(value);
}

/** Most verified tokens remembered; a service sends the same few keys over and over. */
const VERIFIED_TOKENS_KEPT = 1_000;
const verifiedTokens = new Map<string, Record<string, unknown>>();

/**
 * Verifies an HS256 token, remembering tokens already verified (as PostgREST's JWT cache does): an HMAC
 * check per request costs more than the rest of a small insert. A remembered token past its `exp` is checked
 * again, which fails it with "JWT expired".
 */
function verify(token: string, secret: string): Record<string, unknown> {
  const cacheKey = `${secret}\u0000${token}`;
  const remembered = verifiedTokens.get(cacheKey);
  if (remembered && !isExpired(remembered)) return remembered;
  verifiedTokens.delete(cacheKey);
  const payload = verifyUncached(token, secret);
  if (verifiedTokens.size >= VERIFIED_TOKENS_KEPT) verifiedTokens.clear();
  verifiedTokens.set(cacheKey, payload);
  return payload;
}

function isExpired(claims: Record<string, unknown>): boolean {
  const exp = claims['exp'];
  return typeof exp === 'number' && exp * 1000 <= Date.now();
}

function verifyUncached(token: string, secret: string): Record<string, unknown> {
  try {
    const payload = jwt.verify(token, secret, { algorithms: ['HS256'] });
    if (typeof payload !== 'object' || payload === null) throw new Error('payload is not an object');
    return payload as Record<string, unknown>;
  } catch (error) {
    if (error instanceof jwt.TokenExpiredError) throw new PostgrestError(401, 'PGRST303', 'JWT expired');
    const reason = error instanceof Error ? error.message : String(error);
    throw new PostgrestError(401, 'PGRST301', 'JWT could not be verified', reason, 'Sign the key with SUPABASE_JWT_SECRET (HS256).');
  }
}

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * What Supabase's gateway plus PostgREST do with a request's keys: the `apikey` header must be a valid key,
 * and `Authorization: Bearer <jwt>` (or, without it, the apikey) decides the role and claims.
 */
export function authenticate(headers: IncomingHttpHeaders, secret: string): RequestClaims {
  const apiKey = headerValue(headers, 'apikey');
  const authorization = headerValue(headers, 'authorization');
  const bearer = authorization?.match(/^Bearer\s+(\S+)$/i)?.[1];
  if (authorization !== undefined && bearer === undefined) {
    throw new PostgrestError(401, 'PGRST301', 'Authorization header is not "Bearer <jwt>"');
  }
  if (apiKey === undefined && bearer === undefined) {
    throw new PostgrestError(401, 'PGRST302', 'No API key found in request', null, 'Send the apikey header (and/or Authorization: Bearer <jwt>).');
  }
  if (apiKey !== undefined) verify(apiKey, secret);
  const claims = verify(bearer ?? (apiKey as string), secret);
  if (!isApiRole(claims['role'])) {
    throw new PostgrestError(401, 'PGRST303', `JWT role ${JSON.stringify(claims['role'] ?? null)} is not one of ${apiRoles.join(', ')}`);
  }
  return { role: claims['role'], claims };
}
