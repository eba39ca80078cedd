import type { Pool, PoolClient } from 'pg';
import type { DualWriteFlags } from './dual-write-mode';
import { processLiveSql } from './process-registry';

export interface FlagState extends DualWriteFlags {
  version: number;
  updatedAt: Date;
  updatedBy: string;
  reason: string;
  /** A flip is fencing writes at this version (PROTOCOL.md, mechanism 3): no write is claimed until it lifts. */
  fenced: boolean;
  /** The process whose flip fences, when it reports in dual_write_processes; null when unfenced or unknown. */
  fencedBy: string | null;
}

export type FlagChangeSource = 'api' | 'cli' | 'auto-rollback';

export interface FlagChange {
  next: Partial<DualWriteFlags>;
  changedBy: string;
  reason: string;
  source: FlagChangeSource;
  /** When given, the change applies only if the stored version still equals it. */
  expectedVersion?: number;
  /** The new version fences writes (a flip of the primary in progress). Default false. */
  fenced?: boolean;
  /** The process whose flip fences (its id in dual_write_processes); recorded with the fence. */
  fencedBy?: string | null;
  /**
   * Past the phase gates (FlagSwitcher) although a condition is unmet; what was unmet goes in the history with the
   * reason. Default false.
   */
  force?: boolean;
}

export interface FlagHistoryEntry {
  id: number;
  changedAt: Date;
  changedBy: string;
  source: FlagChangeSource;
  reason: string;
  before: DualWriteFlags;
  after: DualWriteFlags;
}

/** The flags changed since the caller read them: re-read and decide again. Maps to HTTP 409. */
export class StaleFlagsError extends Error {
  constructor(
    readonly expectedVersion: number,
    readonly currentVersion: number,
  ) {
    super(`Flags are at version ${currentVersion}, not ${expectedVersion}: someone changed them; read them again.`);
    this.name = 'StaleFlagsError';
  }
}

export class InvalidFlagChangeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidFlagChangeError';
  }
}

interface FlagRow {
  enable_dual_write: boolean;
  enable_supabase_primary: boolean;
  version: number;
  updated_at: Date;
  updated_by: string;
  reason: string;
  fenced: boolean;
  fenced_by: string | null;
}

/**
 * SQL, true while `versionSql` is the current flag version and no flip fences it: the one condition a claim, a retry's
 * reclaim and a reopened operation are written under (PROTOCOL.md, mechanism 3).
 */
export function unfencedVersionSql(versionSql: string): string {
  return `exists (select 1 from dual_write_flags where id = 1 and version = ${versionSql} and not fenced)`;
}

/**
 * The lock work whose roles were read from the flags (a repair, a backfill, a copy, undoing a late write) holds
 * shared for its transaction, and a flip of the primary takes exclusively once it has fenced: so the flip waits for
 * all such work that started under the old roles, and work that starts after the fence sees it and is refused. Two
 * int4 keys: a space of its own, apart from the per-key locks' single bigint keys.
 */
const ROLE_SYNCS_LOCK = '20261201, 1';

/**
 * The two statements that open such work, in its transaction: `ROLE_SYNCS_LOCK` shared, then one row whose
 * `current` says whether the flags still name `primary` the primary and no flip fences (else: RolesMovedError).
 */
export function primaryHeldSql(primary: 'a' | 'b'): [string, string] {
  return [
    `select pg_advisory_xact_lock_shared(${ROLE_SYNCS_LOCK})`,
    `select exists (select 1 from dual_write_flags where id = 1 and enable_supabase_primary = ${primary === 'b'} and not fenced) as current`,
  ];
}

/**
 * Work whose roles were read from the flags (a repair, a backfill, a copy, undoing a late write), refused because the
 * flags no longer name that primary or a flip of the primary is fencing: read the roles again.
 */
export class RolesMovedError extends Error {
  constructor(readonly expectedPrimary: 'a' | 'b') {
    super(`the flags no longer name store ${expectedPrimary.toUpperCase()} the primary (or a flip of the primary is fencing): the roles this work was given are stale; read them again`);
    this.name = 'RolesMovedError';
  }
}

const FLAG_COLUMNS = 'enable_dual_write, enable_supabase_primary, version, updated_at, updated_by, reason, fenced, fenced_by';

function toState(row: FlagRow): FlagState {
  return {
    enableDualWrite: row.enable_dual_write,
    enableSupabasePrimary: row.enable_supabase_primary,
    version: row.version,
    updatedAt: row.updated_at,
    updatedBy: row.updated_by,
    reason: row.reason,
    fenced: row.fenced,
    fencedBy: row.fenced_by,
  };
}

function flagsOf(state: DualWriteFlags): DualWriteFlags {
  return { enableDualWrite: state.enableDualWrite, enableSupabasePrimary: state.enableSupabasePrimary };
}

/** The phase flags and their history in the control database (tables from libs/dual-write/migrations). */
export class FlagRepository {
  constructor(private readonly pool: Pool) {}

  async read(): Promise<FlagState> {
    const { rows } = await this.pool.query<FlagRow>(`select ${FLAG_COLUMNS} from dual_write_flags where id = 1`);
    const row = rows[0];
    if (!row) throw new Error('dual_write_flags has no row: run `npm run setup` to apply the control-table migrations.');
    return toState(row);
  }

  /**
   * Waits until no sync holding `ROLE_SYNCS_LOCK` (roles read from the flags) is on its way; false when `timeoutMs`
   * passed first. Syncs asking for it meanwhile wait behind this call, then see the fence.
   */
  async waitForRoleSyncs(timeoutMs: number): Promise<boolean> {
    const client = await this.pool.connect();
    try {
      await client.query(`begin; set local lock_timeout = ${Math.max(1, Math.floor(timeoutMs))}; select pg_advisory_xact_lock(${ROLE_SYNCS_LOCK}); commit`);
      return true;
    } catch (error) {
      await client.query('rollback').catch(() => undefined);
      if ((error as { code?: string }).code === '55P03') return false;
      throw error;
    } finally {
      client.release();
    }
  }

  /**
   * Runs `work` holding ROLE_SYNCS_LOCK shared, once the flags still name `primary` and no flip fences (else
   * RolesMovedError, `work` not run): a flip of the primary waits for it. For writes to a store with roles read from
   * the flags that do not go through KeySync (a copy chunk streamed between the databases).
   */
  async withPrimaryHeld<T>(primary: 'a' | 'b', work: () => Promise<T>): Promise<T> {
    return this.transaction(async (client) => {
      const results = (await client.query(primaryHeldSql(primary).join(';\n'))) as unknown as { rows: { current?: boolean }[] }[];
      if (results[1]?.rows[0]?.current !== true) throw new RolesMovedError(primary);
      return work();
    });
  }

  /** Applies a change and its history row in one transaction. A change to the same flags still bumps the version. */
  async change(change: FlagChange): Promise<{ before: FlagState; after: FlagState }> {
    if (!change.reason.trim()) throw new InvalidFlagChangeError('reason is required: say why the flags change.');
    if (!change.changedBy.trim()) throw new InvalidFlagChangeError('changedBy is required: say who changes the flags.');
    return this.transaction(async (client) => {
      const before = await this.lockedState(client);
      if (change.expectedVersion !== undefined && change.expectedVersion !== before.version) {
        throw new StaleFlagsError(change.expectedVersion, before.version);
      }
      const after = await this.write(client, before, { ...flagsOf(before), ...change.next }, change);
      return { before, after };
    });
  }

  /**
   * A fence left by a flip whose process stopped mid-barrier would hold every write forever: the flags go back to
   * what they were before that flip (its history row), unfenced, as a new version. Lifted once the fence is older than
   * `olderThanMs`, or, when `fencerSilentForMs` is given, once the process that fenced (`fencedBy`) has not reported
   * for that long. Returns the restored state, or null when no such fence exists.
   */
  async liftAbandonedFence(olderThanMs: number, changedBy: string, fencerSilentForMs?: number): Promise<FlagState | null> {
    return this.transaction(async (client) => {
      const current = await this.lockedState(client);
      const age = Date.now() - current.updatedAt.getTime();
      const fencerStopped = current.fenced && fencerSilentForMs !== undefined && age >= fencerSilentForMs && (await this.fencerStopped(client, current, fencerSilentForMs));
      if (!current.fenced || (age < olderThanMs && !fencerStopped)) return null;
      const { rows: history } = await client.query<{ before: DualWriteFlags }>('select before from dual_write_flag_history order by id desc limit 1');
      const reason = fencerStopped
        ? `process ${current.fencedBy} fenced writes for a flip ${Math.round(age / 1000)} s ago and stopped reporting: flags back to what they were before it`
        : `a flip fenced writes for ${Math.round(age / 1000)} s and its process never finished it: flags back to what they were before it`;
      return this.write(client, current, history[0]?.before ?? flagsOf(current), { changedBy, source: 'auto-rollback', reason });
    });
  }

  /** The flags as the next version (fenced when asked), with their history row, in the caller's transaction. */
  private async write(
    client: PoolClient,
    before: FlagState,
    next: DualWriteFlags,
    record: Pick<FlagChange, 'changedBy' | 'source' | 'reason' | 'fenced' | 'fencedBy'>,
  ): Promise<FlagState> {
    const { rows } = await client.query<FlagRow>(
      `update dual_write_flags
          set enable_dual_write = $1, enable_supabase_primary = $2, version = version + 1,
              updated_at = now(), updated_by = $3, reason = $4, fenced = $5, fenced_by = case when $5 then $6::text end
        where id = 1
        returning ${FLAG_COLUMNS}`,
      [next.enableDualWrite, next.enableSupabasePrimary, record.changedBy, record.reason, record.fenced ?? false, record.fencedBy ?? null],
    );
    await client.query(
      `insert into dual_write_flag_history (changed_by, source, reason, before, after) values ($1, $2, $3, $4, $5)`,
      [record.changedBy, record.source, record.reason, JSON.stringify(flagsOf(before)), JSON.stringify(next)],
    );
    return toState(rows[0] as FlagRow);
  }

  /** `work` in one transaction on one connection: committed when it returns, rolled back when it throws. */
  private async transaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('begin');
      const result = await work(client);
      await client.query('commit');
      return result;
    } catch (error) {
      await client.query('rollback').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /** Whether the process that fenced is known and has not reported in dual_write_processes for `silentForMs`. */
  private async fencerStopped(client: PoolClient, state: FlagState, silentForMs: number): Promise<boolean> {
    if (!state.fencedBy) return false;
    const { rows } = await client.query<{ live: boolean }>(`select ${processLiveSql('$1', '$2')} as live`, [state.fencedBy, silentForMs]);
    return rows[0]?.live === false;
  }

  async history(limit = 50): Promise<FlagHistoryEntry[]> {
    const { rows } = await this.pool.query<{
      id: string;
      changed_at: Date;
      changed_by: string;
      source: FlagChangeSource;
      reason: string;
      before: DualWriteFlags;
      after: DualWriteFlags;
    }>(
      'select id, changed_at, changed_by, source, reason, before, after from dual_write_flag_history order by id desc limit $1',
      [limit],
    );
    return rows.map((row) => ({
      id: Number(row.id),
      changedAt: row.changed_at,
      changedBy: row.changed_by,
      source: row.source,
      reason: row.reason,
      before: row.before,
      after: row.after,
    }));
  }

  private async lockedState(client: PoolClient): Promise<FlagState> {
    const { rows } = await client.query<FlagRow>(`select ${FLAG_COLUMNS} from dual_write_flags where id = 1 for update`);
    const row = rows[0];
    if (!row) throw new Error('dual_write_flags has no row: run `npm run setup` to apply the control-table migrations.');
    return toState(row);
  }
}
