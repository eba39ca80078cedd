import { ExponentialBackoff, handleWhen, retry } from 'cockatiel';
import { Client } from 'pg';
import { redactDatabaseUrl } from './database-url';

/** Error codes of a connection that could not be made or was lost (node's socket codes). */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE']);

/**
 * Whether an error means "the database could not be reached" (worth a retry) rather than "the database said no"
 * (never retried): node socket errors, SQLSTATE class 08 (connection exception) and 57P03 (cannot connect now,
 * e.g. a server starting up).
 */
export function isConnectionError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return false;
  return SOCKET_CODES.has(code) || code.startsWith('08') || code === '57P03';
}

export class DatabaseUnreachableError extends Error {
  constructor(
    readonly what: string,
    readonly attempts: number,
    cause: unknown,
  ) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(`${what} is unreachable after ${attempts} attempts (${attempts - 1} retries with backoff): ${reason}`, { cause });
    this.name = 'DatabaseUnreachableError';
  }
}

export interface ConnectionRetrySettings {
  /** Retries after the first attempt (3). */
  retries: number;
  /** First backoff delay; it doubles per retry up to maxDelayMs. */
  initialDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_CONNECTION_RETRY: ConnectionRetrySettings = { retries: 3, initialDelayMs: 250, maxDelayMs: 4000 };

/**
 * Runs `work`, retrying it (cockatiel: exponential backoff) while it fails to reach the database; any other
 * error passes through at once. After the last retry: DatabaseUnreachableError naming the database (no password).
 * `signal` stops the retries (a step that timed out is not tried again).
 */
export async function withConnectionRetry<T>(
  databaseUrl: string,
  work: () => Promise<T>,
  settings: ConnectionRetrySettings = DEFAULT_CONNECTION_RETRY,
  signal?: AbortSignal,
): Promise<T> {
  const policy = retry(handleWhen(isConnectionError), {
    maxAttempts: settings.retries,
    backoff: new ExponentialBackoff({ initialDelay: settings.initialDelayMs, maxDelay: settings.maxDelayMs }),
  });
  let attempts = 0;
  try {
    return await policy.execute(() => {
      attempts += 1;
      return work();
    }, signal);
  } catch (error) {
    if (isConnectionError(error)) {
      throw new DatabaseUnreachableError(`database ${redactDatabaseUrl(databaseUrl)}`, attempts, error);
    }
    throw error;
  }
}

/**
 * Runs `work` on a connection of its own to the database, retried like withConnectionRetry while the database
 * cannot be reached. A step past MIGRATION_TIMEOUT (`signal`) ends the connection, so the work stops instead of
 * running on; the connection is always closed afterwards.
 */
export async function withDatabaseClient<T>(
  databaseUrl: string,
  work: (client: Client) => Promise<T>,
  settings?: ConnectionRetrySettings,
  signal?: AbortSignal,
): Promise<T> {
  return withConnectionRetry(
    databaseUrl,
    async () => {
      const client = new Client({ connectionString: databaseUrl });
      client.on('error', () => undefined);
      const onAbort = () => void client.end().catch(() => undefined);
      signal?.addEventListener('abort', onAbort, { once: true });
      await client.connect();
      try {
        return await work(client);
      } finally {
        signal?.removeEventListener('abort', onAbort);
        await client.end().catch(() => undefined);
      }
    },
    settings,
    signal,
  );
}
