import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';

export interface ProcessReport {
  processId: string;
  kind: string;
  flagVersion: number;
  seenAt: Date;
}

/** A process not heard from for this long is taken for stopped: a flip does not wait for it. */
export const PROCESS_LIVE_WITHIN_MS = 5_000;

/** SQL, true when the `dual_write_processes` row `alias` reported within `windowMsSql` milliseconds (a parameter). */
function reportedWithinSql(alias: string, windowMsSql: string): string {
  return `${alias}.seen_at > now() - make_interval(secs => ${windowMsSql} / 1000.0)`;
}

/**
 * SQL, true while the process `processIdSql` reports (within `windowMsSql` ms). The one definition of a live process
 * for the flip barrier, the sweep's takeover of a stopped process's writes, and the lift of its fence.
 */
export function processLiveSql(processIdSql: string, windowMsSql: string): string {
  return `exists (select 1 from dual_write_processes as process
                   where process.process_id = ${processIdSql} and ${reportedWithinSql('process', windowMsSql)})`;
}

export function newProcessId(kind: string): string {
  return `${kind}:${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
}

/**
 * Which flag version every live process acts on (table dual_write_processes): each process reports every second,
 * and a flip of the primary waits until every live one reports the new version.
 */
export class ProcessRegistry {
  constructor(private readonly pool: Pool) {}

  async report(processId: string, kind: string, flagVersion: number): Promise<void> {
    await this.pool.query(
      `insert into dual_write_processes (process_id, kind, flag_version, seen_at) values ($1, $2, $3, now())
       on conflict (process_id) do update set flag_version = excluded.flag_version, seen_at = now()`,
      [processId, kind, flagVersion],
    );
  }

  async forget(processId: string): Promise<void> {
    await this.pool.query('delete from dual_write_processes where process_id = $1', [processId]);
  }

  /**
   * Forgets the processes that have not reported for `silentForMs`: they stopped without removing themselves (a
   * crash). Every rule that asks about one reads a missing row as a stopped process, and a process that was only
   * paused writes its row again with its next report. Returns their ids.
   */
  async forgetSilent(silentForMs: number): Promise<string[]> {
    if (!Number.isInteger(silentForMs) || silentForMs < PROCESS_LIVE_WITHIN_MS) {
      throw new RangeError(`silentForMs must be a whole number of milliseconds of at least ${PROCESS_LIVE_WITHIN_MS}, got ${silentForMs}`);
    }
    const { rows } = await this.pool.query<{ process_id: string }>(
      `delete from dual_write_processes as process where not (${reportedWithinSql('process', '$1')}) returning process_id`,
      [silentForMs],
    );
    return rows.map((row) => row.process_id).sort();
  }

  /** Live processes still acting on a version older than `version`. */
  async behind(version: number, liveWithinMs = PROCESS_LIVE_WITHIN_MS): Promise<ProcessReport[]> {
    const { rows } = await this.pool.query<{ process_id: string; kind: string; flag_version: number; seen_at: Date }>(
      `select process_id, kind, flag_version, seen_at from dual_write_processes
        where ${reportedWithinSql('dual_write_processes', '$2')} and flag_version < $1
        order by process_id`,
      [version, liveWithinMs],
    );
    return rows.map((row) => ({ processId: row.process_id, kind: row.kind, flagVersion: row.flag_version, seenAt: row.seen_at }));
  }
}
