import { withDatabaseClient, type ConnectionRetrySettings } from './connection-retry';
import { quoteIdentifier } from './database-url';
import type { PipelineTarget } from './pipeline-target';

export interface HealthCheckReport {
  serverVersion: string;
  /** A standby (recovery) or a read-only default transaction cannot take the app's writes. */
  writable: boolean;
  /** Round trip of `select 1` in ms. */
  latencyMs: number;
  /** Entity tables that could not be read, with the database's reason. */
  unreadableTables: { table: string; error: string }[];
  ok: boolean;
}

/** `db:health:check`: the database answers, takes writes, and every entity table can be read. */
export async function checkDatabaseHealth(
  target: PipelineTarget,
  retry?: ConnectionRetrySettings,
  signal?: AbortSignal,
): Promise<HealthCheckReport> {
  return withDatabaseClient(
    target.databaseUrl,
    async (client) => {
      const started = performance.now();
      await client.query('select 1');
      const latencyMs = Math.round((performance.now() - started) * 100) / 100;
      const { rows } = await client.query<{ version: string; recovery: boolean; read_only: string }>(
        `select current_setting('server_version') as version, pg_is_in_recovery() as recovery,
                current_setting('default_transaction_read_only') as read_only`,
      );
      const writable = !rows[0].recovery && rows[0].read_only === 'off';
      const unreadableTables: HealthCheckReport['unreadableTables'] = [];
      for (const entity of target.entities) {
        try {
          await client.query(`select 1 from ${quoteIdentifier(entity.table)} limit 1`);
        } catch (error) {
          unreadableTables.push({ table: entity.table, error: error instanceof Error ? error.message : String(error) });
        }
      }
      return { serverVersion: rows[0].version, writable, latencyMs, unreadableTables, ok: writable && unreadableTables.length === 0 };
    },
    retry,
    signal,
  );
}
