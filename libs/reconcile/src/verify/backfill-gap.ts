import type { KeySync } from '@dualwrite/dual-write';
import { EntityRegistry, compareResults, type EntityDefinition, type FieldDifference, type RowKey, type StorePlugin } from '@dualwrite/stores';
import type { Pool } from 'pg';
import { keyFromText, keyText } from '../key-order';
import { updatedAtFieldOf, type ChangedKeySource } from './changed-keys';
import { VerifyLedgerReader } from './ledger-reads';
import { currentRoles, type StoreRoles } from './store-roles';
import type { BackfillResult, EntityBackfillResult, GapKey } from './verify.types';

export interface BackfillGapDependencies {
  /** The host's entities, parents first (they are backfilled in this order). */
  entities: EntityDefinition[];
  stores: { a: StorePlugin; b: StorePlugin };
  /** How to list each store's keys changed since a time (SQL where there is a connection, a scan otherwise). */
  changedKeys: { a: ChangedKeySource; b: ChangedKeySource };
  /** The control database: flags and the ledger (deletes since the time). */
  control: Pool;
  /** The protocol's order-proof primitive: the only way a backfill changes the secondary. */
  keySync: KeySync;
  ignoreFields?: readonly string[];
  /** Keys per page, read and sync. Default 200. */
  keysPerBatch?: number;
}

export class InvalidSinceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidSinceError';
  }
}

/**
 * backfill-gap: the rows the primary changed since a time (by the entity's updated-at field), and the keys the ledger
 * shows deleted since then, compared with the secondary; the ones that differ or are missing there are made equal
 * through KeySync (never a direct write of the secondary: under the per-key locks, the primary's current row, a delete
 * only with the ledger's proof). A dry run lists them and changes nothing. After applying, the keys are compared again.
 */
export class BackfillGap {
  private readonly registry: EntityRegistry;
  private readonly ledger: VerifyLedgerReader;

  constructor(private readonly dependencies: BackfillGapDependencies) {
    this.registry = new EntityRegistry(dependencies.entities);
    this.ledger = new VerifyLedgerReader(dependencies.control);
  }

  async run(since: Date, selection: 'all' | string[], options: { dryRun: boolean }): Promise<BackfillResult> {
    if (!(since instanceof Date) || !Number.isFinite(since.getTime())) throw new InvalidSinceError('since must be a valid time');
    const entities = selection === 'all' ? this.dependencies.entities : selection.map((name) => this.registry.get(name));
    const roles = await currentRoles(this.dependencies.control, this.dependencies.stores);
    const source = roles.primary === this.dependencies.stores.a ? this.dependencies.changedKeys.a : this.dependencies.changedKeys.b;
    const results: EntityBackfillResult[] = [];
    for (const entity of entities) results.push(await this.entity(entity, since, roles, source, options.dryRun));
    return { since, dryRun: options.dryRun, primaryStore: roles.primary.name, secondaryStore: roles.secondary.name, entities: results };
  }

  private async entity(entity: EntityDefinition, since: Date, roles: StoreRoles, source: ChangedKeySource, dryRun: boolean): Promise<EntityBackfillResult> {
    const result: EntityBackfillResult = { entity: entity.name, changedOnPrimary: 0, deletedInLedger: 0, gaps: [], copied: 0, deleted: 0, left: [], stillDiffering: [] };
    const version = updatedAtFieldOf(entity);
    if ('skipped' in version) return { ...result, skipped: version.skipped };
    const size = this.dependencies.keysPerBatch ?? 200;
    const changed = new Set<string>();
    for await (const page of source.keysChangedSince(entity, version.field, since, size)) {
      result.changedOnPrimary += page.length;
      for (const key of page) changed.add(keyText(entity, key));
      result.gaps.push(...(await this.gapsAmong(entity, page, roles)));
    }
    const deletes = (await this.ledger.keysDeletedSince(entity.name, since)).filter((key) => !changed.has(key));
    result.deletedInLedger = deletes.length;
    for (let start = 0; start < deletes.length; start += size) {
      result.gaps.push(...(await this.gapsAmong(entity, deletes.slice(start, start + size).map((key) => keyFromText(entity, key)), roles)));
    }
    if (dryRun || result.gaps.length === 0) return result;

    for (let start = 0; start < result.gaps.length; start += size) {
      const keys = result.gaps.slice(start, start + size).map((gap) => keyFromText(entity, gap.key));
      const report = await this.dependencies.keySync.sync(entity, keys, roles.primary, roles.secondary, [], { flagsPrimary: roles.primarySide });
      result.copied += report.copied.length;
      result.deleted += report.deleted.length;
      result.left.push(...report.left.map((left) => ({ key: keyText(entity, left.key), reason: left.reason })));
      const still = await this.gapsAmong(entity, keys, roles);
      result.stillDiffering.push(...still.map((gap) => gap.key));
    }
    return result;
  }

  /** Of `keys`, those whose rows are not equal on the two stores, and how. */
  private async gapsAmong(entity: EntityDefinition, keys: RowKey[], roles: StoreRoles): Promise<GapKey[]> {
    if (keys.length === 0) return [];
    const [primaryRows, secondaryRows] = await Promise.all([roles.primary.findManyByIds(entity, keys), roles.secondary.findManyByIds(entity, keys)]);
    const { differences } = compareResults(entity, primaryRows, secondaryRows, { ignoreFields: this.dependencies.ignoreFields });
    const byKey = new Map<string, FieldDifference[]>();
    for (const difference of differences) {
      if (difference.key === undefined) continue;
      const key = keyText(entity, difference.key);
      byKey.set(key, [...(byKey.get(key) ?? []), difference]);
    }
    return [...byKey].map(([key, found]) => gapOf(key, found));
  }
}

function gapOf(key: string, differences: FieldDifference[]): GapKey {
  const row = differences.find((difference) => difference.field === undefined);
  if (row?.kind === 'missing_in_secondary') return { key, kind: 'missing_in_secondary', fields: [] };
  if (row?.kind === 'missing_in_primary') return { key, kind: 'deleted_on_primary', fields: [] };
  return { key, kind: 'differs', fields: differences.map((difference) => difference.field ?? difference.path) };
}

/** Reads `--since` text: an ISO 8601 date (UTC midnight) or time with its zone (Z, +01:00), not in the future. InvalidSinceError names what is wrong. */
export function parseSince(text: string, now: Date = new Date()): Date {
  const iso = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:?\d{2}))?$/;
  const parts = iso.exec(text);
  const at = new Date(text);
  if (!parts || !Number.isFinite(at.getTime()) || !validCalendarParts(parts)) {
    throw new InvalidSinceError(`--since must be an ISO 8601 date or time with its zone, such as 2026-11-29T20:00:00Z, got "${text}"`);
  }
  if (at.getTime() > now.getTime()) throw new InvalidSinceError(`--since is in the future (${at.toISOString()}): nothing can have changed since then`);
  return at;
}

/** Date parsing rolls 2026-02-30 over into March: the day must exist in its month, the time on a clock. */
function validCalendarParts(parts: RegExpExecArray): boolean {
  const [year, month, day, hour = 0, minute = 0, second = 0] = parts.slice(1).map((part) => (part === undefined ? undefined : Number(part)));
  if (year === undefined || month === undefined || day === undefined) return false;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth && hour <= 23 && minute <= 59 && second <= 59;
}
