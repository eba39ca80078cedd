import type { Pool, PoolClient } from 'pg';
import type { RequestClaims } from './auth';
import { isIdentifier } from './identifiers';

export interface RequestSettings {
  claims: RequestClaims;
  method: string;
  path: string;
  /** `Prefer: tx=rollback`: run everything, answer as usual, then roll back instead of committing. */
  end?: 'commit' | 'rollback';
}

/**
 * Runs one API request the way PostgREST does: in one transaction, as the JWT's role, with the claims in
 * `request.jwt.claims` (what auth.uid() and auth.jwt() read) and each scalar claim in `request.jwt.claim.<name>`.
 * Rolls back when `work` throws, and after it succeeded when `settings.end` is 'rollback'.
 */
export async function inRequestTransaction<T>(pool: Pool, settings: RequestSettings, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    // One round trip for both; the role comes from a fixed list (auth.ts), so it can be written into the statement.
    await client.query(`begin; set local role "${settings.claims.role}"`);
    const names = ['request.jwt.claims', 'request.method', 'request.path'];
    const values: string[] = [JSON.stringify(settings.claims.claims), settings.method, settings.path];
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
