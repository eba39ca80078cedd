import type { EntityDefinition, EntityRegistry, RowKey, StorePlugin } from '@dualwrite/stores';
import { isBreakerOpenError } from '../breakers/breaker-open-error';
import type { OperationLedger, OperationRecord } from '../ledger/operation-ledger';
import type { KeySync, LeftKey } from '../sync/key-sync';

export type ReplayOutcome = 'applied' | 'not-owed' | 'retry' | 'dead';

export interface ReplayProcessorOptions {
  ledger: OperationLedger;
  entities: EntityRegistry;
  /** Stores by name, as recorded in the ledger (primary_store, secondary_store). */
  stores: Map<string, StorePlugin>;
  /** The sync primitive (its guard runs each store call through the store's breaker). */
  keySync: KeySync;

  /** Failed attempts after which the operation is dead-lettered. */
  maxAttempts: number;
}

/** Keys are kept as text in the ledger; a serial key goes back to a number. */
export function keyFromText(entity: EntityDefinition, text: string): RowKey {
  return entity.fields[entity.primaryKey]?.type === 'int' ? Number(text) : text;
}

/**
 * Settles an operation whose secondary may differ from its primary: owed (`secondary_pending`) or of unknown
 * outcome (`primary_unavailable`). The keys are synced from the primary (KeySync: the primary's current rows,
 * under the per-key lock), with the stores the operation recorded; the flip barrier makes sure those are still
 * the current roles. Idempotent, so a job run twice or an operation already settled is harmless.
 */
export class ReplayProcessor {
  constructor(private readonly options: ReplayProcessorOptions) {}

  async replay(opId: string): Promise<{ outcome: ReplayOutcome; error?: unknown; left?: LeftKey[] }> {
    const { ledger } = this.options;
    const operation = await ledger.get(opId);
    if (!operation || (operation.status !== 'secondary_pending' && operation.status !== 'primary_unavailable')) return { outcome: 'not-owed' };
    if (operation.status === 'primary_unavailable' && operation.entityIds.length === 0) {
      // A database-assigned key the primary may have handed out, but nobody learnt: no sync can find the row.
      const reason = `a ${operation.operation} of ${operation.entity} whose outcome on ${operation.primaryStore} is unknown and whose key was never learnt: reconcile ${operation.entity} to find the row if it landed`;
      await ledger.transition(opId, 'replay_gave_up', { lastError: reason });
      return { outcome: 'dead', error: new Error(reason) };
    }
    try {
      const left = await this.apply(operation);
      await ledger.transition(opId, 'secondary_synced', { lastError: null });
      return { outcome: 'applied', left };
    } catch (error) {
      // An open breaker turned the call away without trying: not an attempt, or a long outage would
      // exhaust every attempt while nothing could succeed. The job backs off and comes again.
      if (isBreakerOpenError(error)) return { outcome: 'retry', error };
      const attempts = await ledger.recordFailedAttempt(opId, error);
      if (attempts >= this.options.maxAttempts) {
        await ledger.transition(opId, 'replay_gave_up', { lastError: error });
        return { outcome: 'dead', error };
      }
      return { outcome: 'retry', error };
    }
  }

  private async apply(operation: OperationRecord): Promise<LeftKey[]> {
    // The roles the operation recorded: a flip of the primary waits until it is settled, so they are the current ones.
    if (!operation.secondaryStore) return [];
    const entity = this.options.entities.get(operation.entity);
    const source = this.store(operation.primaryStore);
    const target = this.store(operation.secondaryStore);
    const keys = operation.entityIds.map((text) => keyFromText(entity, text));
    const report = await this.options.keySync.sync(entity, keys, source, target);
    return report.left;
  }

  private store(name: string): StorePlugin {
    const store = this.options.stores.get(name);
    if (!store) throw new Error(`store "${name}" recorded in the ledger is not configured in this process`);
    return store;
  }
}
