import { EntityRegistry, compareResults, type EntityDefinition, type FieldDifference, type StorePlugin } from '@dualwrite/stores';
import type { Pool } from 'pg';
import { keyFromText, keyText } from '../key-order';
import { VerifyLedgerReader } from './ledger-reads';
import { currentRoles, type StoreRoles } from './store-roles';
import type { DualWriteVerification, KeyMismatch } from './verify.types';

export interface DualWriteVerificationDependencies {
  entities: EntityDefinition[];
  stores: { a: StorePlugin; b: StorePlugin };
  control: Pool;
  ignoreFields?: readonly string[];
  /** Keys per read of each store. Default 200. */
  keysPerRead?: number;
}

/** Statuses after which both stores hold the operation's keys equal (PROTOCOL.md, I3; abandoned: synced unacknowledged). */
const SETTLED_EQUAL = new Set(['applied', 'abandoned']);

/** Windows longer than this are refused: a week of ledger at full traffic is already hundreds of millions of ops. */
export const MAX_VERIFY_MINUTES = 7 * 24 * 60;

export class InvalidWindowError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidWindowError';
  }
}

/**
 * verify-dual-write: every ledger operation created in the last `minutes` (control database clock) checked on both
 * stores. Each applied (or abandoned) operation's keys must hold equal rows under the dual-write comparison's
 * normalisation, or be absent on both; a key an unsettled operation still names is listed as in flight instead of
 * compared. Operations not applied are listed with their status. Reads only; a page of the ledger at a time.
 */
export class DualWriteVerifier {
  private readonly registry: EntityRegistry;
  private readonly ledger: VerifyLedgerReader;

  constructor(private readonly dependencies: DualWriteVerificationDependencies) {
    this.registry = new EntityRegistry(dependencies.entities);
    this.ledger = new VerifyLedgerReader(dependencies.control);
  }

  async verify(minutes: number): Promise<DualWriteVerification> {
    if (!Number.isFinite(minutes) || minutes <= 0 || minutes > MAX_VERIFY_MINUTES) {
      throw new InvalidWindowError(`minutes must be a number above 0 and at most ${MAX_VERIFY_MINUTES} (a week), got ${String(minutes)}`);
    }
    const roles = await currentRoles(this.dependencies.control, this.dependencies.stores);
    const { from, to } = await this.ledger.window(minutes);
    const result: DualWriteVerification = { mode: roles.mode, from, to, operations: 0, singleStoreOperations: 0, unknownEntityOperations: 0, keysChecked: 0, mismatches: [], notApplied: [], inFlightKeys: [], equal: true };
    const seen = new Set<string>();
    for await (const page of this.ledger.opsBetween(from, to)) {
      result.operations += page.length;
      const byEntity = new Map<string, Map<string, string[]>>();
      for (const op of page) {
        if (!SETTLED_EQUAL.has(op.status)) {
          result.notApplied.push(op);
          continue;
        }
        // Written in a single-store phase (no secondary): the other store was not meant to hold it.
        if (op.secondaryStore === null) {
          result.singleStoreOperations += 1;
          continue;
        }
        if (!this.registry.has(op.entity)) {
          result.unknownEntityOperations += 1;
          continue;
        }
        const keys = byEntity.get(op.entity) ?? new Map<string, string[]>();
        byEntity.set(op.entity, keys);
        for (const key of op.keys) {
          const id = `${op.entity}\u0000${key}`;
          if (seen.has(id) && !keys.has(key)) continue;
          seen.add(id);
          keys.set(key, [...(keys.get(key) ?? []), op.opId]);
        }
      }
      for (const [entityName, keys] of byEntity) await this.checkKeys(this.registry.get(entityName), keys, roles, result);
    }
    result.equal = result.mismatches.length === 0;
    return result;
  }

  private async checkKeys(entity: EntityDefinition, keys: Map<string, string[]>, roles: StoreRoles, result: DualWriteVerification): Promise<void> {
    const size = this.dependencies.keysPerRead ?? 200;
    const all = [...keys.keys()];
    for (let start = 0; start < all.length; start += size) {
      const batch = all.slice(start, start + size);
      const inFlight = await this.ledger.keysInFlight(entity.name, batch);
      for (const key of batch.filter((candidate) => inFlight.has(candidate))) result.inFlightKeys.push({ entity: entity.name, key });
      const compared = batch.filter((key) => !inFlight.has(key));
      if (compared.length === 0) continue;
      const ids = compared.map((key) => keyFromText(entity, key));
      const [primaryRows, secondaryRows] = await Promise.all([roles.primary.findManyByIds(entity, ids), roles.secondary.findManyByIds(entity, ids)]);
      result.keysChecked += compared.length;
      const { differences } = compareResults(entity, primaryRows, secondaryRows, { ignoreFields: this.dependencies.ignoreFields });
      for (const [key, found] of differencesByKey(entity, differences)) {
        result.mismatches.push({ entity: entity.name, key, opIds: keys.get(key) ?? [], differences: found } satisfies KeyMismatch);
      }
    }
  }
}

function differencesByKey(entity: EntityDefinition, differences: FieldDifference[]): Map<string, FieldDifference[]> {
  const grouped = new Map<string, FieldDifference[]>();
  for (const difference of differences) {
    const key = difference.key === undefined ? '?' : keyText(entity, difference.key);
    grouped.set(key, [...(grouped.get(key) ?? []), difference]);
  }
  return grouped;
}

