import type { PoolConfig } from 'pg';

export interface PrismaPgBounds {
  /**
   * PostgreSQL `statement_timeout` on every connection of the pool, sent when the connection starts: the server
   * cancels a statement (lock waits included) running longer, which PrismaStore reports as unavailable
   * (SQLSTATE 57014). Absent: the server's own setting (none by default).
   */
  statementTimeoutMs?: number;
}

/** The pg pool settings for `new PrismaPg(...)`: the connection string and the database-side bounds. */
export function prismaPgPoolConfig(connectionString: string, bounds: PrismaPgBounds = {}): PoolConfig {
  const { statementTimeoutMs } = bounds;
  if (statementTimeoutMs === undefined) return { connectionString };
  if (!Number.isInteger(statementTimeoutMs) || statementTimeoutMs < 1) {
    throw new RangeError(`statementTimeoutMs must be a whole number of milliseconds of at least 1, got ${statementTimeoutMs}`);
  }
  return { connectionString, statement_timeout: statementTimeoutMs };
}
