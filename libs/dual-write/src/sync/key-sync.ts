import { StoreNotFoundError, primaryKeyOf, type EntityDefinition, type Row, type RowKey, type StorePlugin } from '@dualwrite/stores';
import type { Pool, PoolClient, QueryResult } from 'pg';
import { RolesMovedError, primaryHeldSql } from '../flags/flag-repository';
import { keysWrittenByOthersSql, lockKeysSql, settleSyncedSql } from '../ledger/sync-settlement';
import type { OperationLedger, OperationObservation, OperationStatus } from '../ledger/operation-ledger';

/** Runs a call to a store through its breaker and timeout. */
export type StoreGuard = <T>(store: StorePlugin, call: () => Promise<T>) => Promise<T>;

export interface KeySyncOptions {
  /** The control database: the per-key locks are advisory locks there, so every process shares them. */
  pool: Pool;
  /** Proves deletes: a row missing on the source is deleted on the target only after a delete the source holds. */
  ledger: OperationLedger;
  guard?: StoreGuard;
}

/** A key the sync left as it was, and why (the caller records it as an error diff). */
export interface LeftKey {
  key: RowKey;
  reason: string;
  /** The target's row, still there although the source has none. */
  targetRow: Row;
}

export interface SyncReport {
  /**
   * The rows now on the target, as the target returned them (for comparison with the source); `target` is null for a
   * sync of many keys that settles no write (a copy or replay compares nothing).
   */
  copied: { key: RowKey; source: Row; target: Row | null }[];
  deleted: RowKey[];
  left: LeftKey[];
  /** The writes the sync settled, by opId: their new status, or null when the ledger had moved them on already. */
  settled: Map<string, OperationStatus | null>;
}

/** A write the sync is for: settled in the ledger when the sync commits (PROTOCOL.md, step 6). */
export interface SyncedWrite {
  opId: string;
  /**
   * The primary's answer to this write when it created the key: it stands in for reading the primary when the
   * ledger shows no other operation on the key (PROTOCOL.md, mechanism 1).
   */
  created?: { key: RowKey; row: Row };
  /** What the ledger keeps of how the write went, taken as it settles. */
  observation: () => OperationObservation;
}

/** Whose rows a sync copies where, when its caller read the roles from the flags rather than from a write. */
export interface SyncRoles {
  /**
   * The primary the caller read from the flags when it chose source and target (a repair, a backfill, a copy,
   * undoing a late write). The sync goes ahead only while the flags still name it and no flip of the primary fences,
   * and such a flip waits for it to end (ROLE_SYNCS_LOCK); otherwise it throws RolesMovedError and changes nothing.
   * Absent for the syncs of a write or a replay: the ledger ties those to their operation, which the flip's barrier
   * waits for.
   */
  flagsPrimary?: 'a' | 'b';
  /**
   * Keys whose row the target holds only because a write nobody was told of created it there (a create that landed
   * late on the store a flip made the secondary): the source lacking one proves it should not exist, as a delete
   * would.
   */
  strays?: RowKey[];
}

export function emptySyncReport(): SyncReport {
  return { copied: [], deleted: [], left: [], settled: new Map() };
}

const directly: StoreGuard = (_store, call) => call();

/**
 * The one way the secondary is made to match the primary (PROTOCOL.md, mechanism 1): under a per-key lock, read
 * the keys on the source and make the target hold the same rows. Never the request's payload, always the
 * source's current row, so whichever sync of a key runs last leaves the target equal to the source, whatever
 * order the syncs were started in. A row missing on the source is deleted on the target only when the ledger
 * proves a delete (mechanism 2); otherwise both rows are left and the key is reported.
 *
 * The lock is a transaction-scoped advisory lock in the control database, held until every call to the stores
 * has settled (even one its caller stopped waiting for), so a late call can never land after a newer sync.
 */
export class KeySync {
  private readonly guard: StoreGuard;

  constructor(private readonly options: KeySyncOptions) {
    this.guard = options.guard ?? directly;
  }

  /**
   * Makes the target hold the source's rows for `keys`. The `writes` it is for (all their keys among `keys`) are
   * settled in the same transaction: applied exactly when the sync commits, never before.
   */
  async sync(entity: EntityDefinition, keys: RowKey[], source: StorePlugin, target: StorePlugin, writes: SyncedWrite[] = [], roles: SyncRoles = {}): Promise<SyncReport> {
    const report = emptySyncReport();
    if (keys.length === 0) return report;
    const client = await this.options.pool.connect();
    let failed = true;
    try {
      const own = await this.lock(client, entity, keys, writes, roles.flagsPrimary);
      await this.copy(entity, keys, source, target, report, client, own, writes.length > 0, new Set((roles.strays ?? []).map(String)));
      report.settled = await this.commit(client, writes);
      failed = false;
      return report;
    } finally {
      if (failed) await client.query('rollback').catch(() => undefined);
      client.release();
    }
  }

  /**
   * Opens the transaction and takes the keys' locks; then, under them, learns which creates' own answers are still
   * the primary's rows (one round trip). A created key no other operation in the ledger names was written by that
   * create alone: any other write of it is claimed after this point and syncs after this sync (it waits for the
   * lock), so the primary holds exactly the created row until then.
   */
  private async lock(client: PoolClient, entity: EntityDefinition, keys: RowKey[], writes: SyncedWrite[], flagsPrimary: 'a' | 'b' | undefined): Promise<Map<string, Row>> {
    const escape = (value: string) => client.escapeLiteral(value);
    const creates = writes.filter((write) => write.created !== undefined);
    // No parallel workers for these look-ups of a few keys: the planner misjudges how many ledger rows an array
    // overlap matches (thousands for a handful) and would start workers, which cost more than the look-up itself.
    // The commit does not wait for its WAL to reach disk (PROTOCOL.md, "Settlements and the WAL"): a settlement a
    // crash of the control database loses leaves its write where it was before, which the sweep syncs again, and
    // the one decision taken on an `applied` (lifting a flip's fence) commits synchronously in this database,
    // flushing it first.
    // Roles read from the flags: the shared lock a flip waits for, and whether they are still current, before the
    // keys' locks, so a sync waiting here behind a flip holds none of them.
    const roleChecks = flagsPrimary === undefined ? [] : primaryHeldSql(flagsPrimary);
    const statements = ['begin', ...roleChecks, 'set local max_parallel_workers_per_gather = 0', 'set local synchronous_commit = off', lockKeysSql(escape, entity.name, keys.map(String))];
    if (creates.length > 0) {
      const createdKeys = creates.map((write) => String(write.created?.key));
      statements.push(keysWrittenByOthersSql(escape, entity.name, createdKeys, creates.map((write) => write.opId)));
    }
    const results = (await client.query(statements.join(';\n'))) as unknown as QueryResult<{ key: string; current?: boolean }>[];
    if (flagsPrimary !== undefined && results[roleChecks.length]?.rows[0]?.current !== true) throw new RolesMovedError(flagsPrimary);
    const own = new Map<string, Row>();
    const others = new Set(creates.length > 0 ? results[statements.length - 1]?.rows.map((row) => row.key) : []);
    for (const write of creates) {
      const key = String(write.created?.key);
      if (!others.has(key)) own.set(key, write.created?.row as Row);
    }
    return own;
  }

  /** Settles the writes and commits, in one round trip: they are applied exactly when the sync is. */
  private async commit(client: PoolClient, writes: SyncedWrite[]): Promise<Map<string, OperationStatus | null>> {
    const settled = new Map<string, OperationStatus | null>(writes.map((write) => [write.opId, null]));
    if (writes.length === 0) {
      await client.query('commit');
      return settled;
    }
    const settlements = writes.map((write) => ({ opId: write.opId, observation: write.observation() }));
    const results = (await client.query(`${settleSyncedSql((value) => client.escapeLiteral(value), settlements)};\ncommit`)) as unknown as QueryResult<{
      op_id: string;
      status: OperationStatus;
    }>[];
    for (const row of results[0]?.rows ?? []) settled.set(row.op_id, row.status);
    return settled;
  }

  private async copy(
    entity: EntityDefinition,
    keys: RowKey[],
    source: StorePlugin,
    target: StorePlugin,
    report: SyncReport,
    client: PoolClient,
    own: Map<string, Row>,
    compare: boolean,
    strays: Set<string>,
  ): Promise<void> {
    const toRead = keys.filter((key) => !own.has(String(key)));
    const readRows = toRead.length === 0 ? [] : await this.settled(source, () => source.findManyByIds(entity, toRead));
    const byKey = new Map([...own, ...readRows.map((row): [string, Row] => [String(primaryKeyOf(entity, row)), row])]);
    const present = keys.filter((key) => byKey.has(String(key)));
    const missing = keys.filter((key) => !byKey.has(String(key)));

    if (present.length === 1) {
      const row = byKey.get(String(present[0])) as Row;
      const written = await this.settled(target, () => target.upsert(entity, row));
      report.copied.push({ key: present[0] as RowKey, source: row, target: written });
    } else if (present.length > 1) {
      const rows = present.map((key) => byKey.get(String(key)) as Row);
      // For writes the stored rows come back, so each is compared with what the target holds; a copy needs no rows.
      const written = new Map<string, Row>();
      if (!compare) await this.settled(target, () => target.batchUpsert(entity, rows));
      else for (const row of await this.settled(target, () => target.upsertMany(entity, rows))) written.set(String(primaryKeyOf(entity, row)), row);
      report.copied.push(...present.map((key) => ({ key, source: byKey.get(String(key)) as Row, target: written.get(String(key)) ?? null })));
    }
    if (entity.keyStrategy === 'serial' && present.length > 0) {
      // The target must never hand out a key the source already gave (it may become the primary).
      const highest = Math.max(...present.map(Number));
      await this.settled(target, () => target.keepSequenceAbove(entity, highest));
    }

    for (const key of missing) await this.syncMissing(entity, key, source, target, report, client, strays.has(String(key)));
  }

  private async syncMissing(entity: EntityDefinition, key: RowKey, source: StorePlugin, target: StorePlugin, report: SyncReport, client: PoolClient, stray: boolean): Promise<void> {
    const targetRow = await this.settled(target, () => target.get(entity, key));
    if (!targetRow) return;
    // On the client that holds the locks: a second pool connection per sync could exhaust the pool.
    const { proven, latest } = stray ? { proven: true, latest: null } : await this.options.ledger.deleteProven(entity.name, String(key), client);
    if (!proven) {
      // A write may have landed on the source since it was read: its newest held op is then no delete, and the
      // row is there now. Copy it (its own sync will copy it again, harmlessly).
      const landed = await this.settled(source, () => source.get(entity, key));
      if (landed) {
        const written = await this.settled(target, () => target.upsert(entity, landed));
        report.copied.push({ key, source: landed, target: written });
        return;
      }
      report.left.push({
        key,
        targetRow,
        reason: latest
          ? `the primary has no ${entity.name} ${String(key)} but its latest write there (${latest.operation}, op ${latest.opId}) is no delete: both rows left`
          : `the primary has no ${entity.name} ${String(key)} and the ledger records no delete of it: both rows left`,
      });
      return;
    }
    await this.settled(target, () => target.delete(entity, key)).catch((error: unknown) => {
      if (!(error instanceof StoreNotFoundError)) throw error;
    });
    report.deleted.push(key);
  }

  /** Through the guard, but returns only once the store call itself has settled, whatever the guard did. */
  private async settled<T>(store: StorePlugin, call: () => Promise<T>): Promise<T> {
    let started: Promise<T> | undefined;
    try {
      return await this.guard(store, () => {
        started = call();
        return started;
      });
    } finally {
      await started?.catch(() => undefined);
    }
  }
}
