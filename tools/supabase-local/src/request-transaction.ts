import type { Pool, PoolClient } from 'pg';
import type { RequestClaims } from './auth';
import { isIdentifier } from './identifiers';
import { PostgrestError } from './postgrest-errors';
import type { RequestRoleSettings } from './role-settings';

export interface RequestSettings {
  claims: RequestClaims;
  /**
   * `alter role … set` settings of the request's role and the authenticator (role-settings.ts), applied first;
   * undefined while they could not be read yet (503 PGRST002, PostgREST's answer before it has loaded its caches).
   */
  roleSettings: RequestRoleSettings | undefined;
  method: string;
  path: string;
  /** `Prefer: tx=rollback`: run everything, answer as usual, then roll back instead of committing. */
  end?: 'commit' | 'rollback';
}

/**
 * Runs one API request the way PostgREST does: in one transaction, as the JWT's role, with that role's settings
 * (e.g. `statement_timeout`, so a request cannot run for longer than Supabase would let it), the claims in
 * `request.jwt.claims` (what auth.uid() and auth.jwt() read) and each scalar claim in `request.jwt.claim.<name>`.
 * A role setting a transaction cannot change fails the request, naming it. Rolls back when `work` throws, and
 * after it succeeded when `settings.end` is 'rollback'.
 */
export async function inRequestTransaction<T>(pool: Pool, settings: RequestSettings, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect().catch((error: unknown) => {
    // pg-pool's words when every connection stayed busy for the whole wait; PostgREST answers that 504 PGRST003.
    if (error instanceof Error && error.message === 'timeout exceeded when trying to connect') {
      throw new PostgrestError(504, 'PGRST003', 'Timed out acquiring connection from connection pool.');
    }
    throw error;
  });
  let broken: Error | undefined;
  try {
    if (!settings.roleSettings) {
      throw new PostgrestError(503, 'PGRST002', 'Could not query the database for the schema cache. Retrying.', 'The role settings are not read yet.');
    }
    // One round trip for both; the role comes from a fixed list (auth.ts), so it can be written into the statement.
    await client.query(`begin; set local role "${settings.claims.role}"`);
    const names = settings.roleSettings.map(([name]) => name);
    const values = settings.roleSettings.map(([, value]) => value);
    names.push('request.jwt.claims', 'request.method', 'request.path');
    values.push(JSON.stringify(settings.claims.claims), settings.method, settings.path);
    for (const [name, value] of Object.entries(settings.claims.claims)) {
      if (!isIdentifier(name) || value === null || typeof value === 'object') continue;
      names.push(`request.jwt.claim.${name}`);
      values.push(String(value));
    }
    await client.query(
      `select ${names.map((_, index) => `set_config($${index * 2 + 1}, $${index * 2 + 2}, true)`).join(', ')}`,
      names.flatMap((name, index) => [name, values[index]]),
    );
    const result = await work(client);
    await client.query(settings.end === 'rollback' ? 'rollback' : 'commit');
    return result;
  } catch (error) {
    await client.query('rollback').catch((rollbackError: Error) => {
      broken = rollbackError;
    });
    throw error;
  } finally {
    client.release(broken);
  }
}
