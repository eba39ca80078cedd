import { isBreakerOpenError } from '../breakers/breaker-open-error';
import type { EntityRegistry } from '@dualwrite/stores';
import type { EntityDefinition, RowKey } from '@dualwrite/stores';
import type { OperationLedger, OperationRecord } from '../ledger/operation-ledger';
import type { StorePlugin } from '@dualwrite/stores';
import { copyRowsByKey } from './secondary-sync';

export type ReplayOutcome = 'applied' | 'not-owed' | 'retry' | 'dead';

export interface ReplayProcessorOptions {
  ledger: OperationLedger;
  entities: EntityRegistry;
  /** Stores by name, as recorded in the ledger (primary_store, secondary_store). */
  stores: Map<string, StorePlugin>;
  /** Failed attempts after which the operation is dead-lettered. */
  maxAttempts: number;
  /** Runs a call to a store through its breaker (so an open breaker fails fast). Default: call it directly. */
  guard?: <T>(store: string, call: () => Promise<T>) => Promise<T>;
}

/** Keys are kept as text in the ledger; a serial key goes back to a number. */
export function keyFromText(entity: EntityDefinition, text: string): RowKey {
  return entity.fields[entity.primaryKey]?.type === 'int' ? Number(text) : text;
}

/**
 * Applies an operation the secondary still owes: the secondary is made to hold exactly what the primary holds
 * now for the operation's keys. Idempotent, so a job run twice or an operation already applied is harmless.
 */
export class ReplayProcessor {
  constructor(private readonly options: ReplayProcessorOptions) {}

  async replay(opId: string): Promise<{ outcome: ReplayOutcome; error?: unknown }> {
    const { ledger } = this.options;
    const operation = await ledger.get(opId);
    if (!operation || operation.status !== 'secondary_pending') return { outcome: 'not-owed' };
    try {
      await this.apply(operation);
      await ledger.markApplied(opId);
      return { outcome: 'applied' };
    } catch (error) {
      // An open breaker turned the call away without trying: not an attempt, or a long outage would
      // exhaust every attempt while nothing could succeed. The job backs off and comes again.
      if (isBreakerOpenError(error)) return { outcome: 'retry', error };
      const attempts = await ledger.recordFailedAttempt(opId, error);
      if (attempts >= this.options.maxAttempts) {
        await ledger.markDead(opId, error);
        return { outcome: 'dead', error };
      }
      return { outcome: 'retry', error };
    }
  }

  private async apply(operation: OperationRecord): Promise<void> {
    const entity = this.options.entities.get(operation.entity);
    const source = this.store(operation.primaryStore);
    const target = this.store(operation.secondaryStore ?? '');
    const guard = this.options.guard ?? ((_store, call) => call());
    const keys = operation.entityIds.map((text) => keyFromText(entity, text));
    await guard(target.name, () => copyRowsByKey(entity, keys, source, target));
  }

  private store(name: string): StorePlugin {
    const store = this.options.stores.get(name);
    if (!store) throw new Error(`store "${name}" recorded in the ledger is not configured in this process`);
    return store;
  }
}
