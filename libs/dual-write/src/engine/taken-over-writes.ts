import { StoreUnavailableError, type RowKey } from '@dualwrite/stores';
import type { WriteOperation } from '../ledger/operation-ledger';
import type { LedgerTransitionError } from '../ledger/operation-transitions';
import type { DualWriteEngineOptions } from './dual-write-engine';
import type { OperationPlan, OperationPlanner } from './operation-plan';
import type { SecondarySync } from './secondary-sync';
import { describeError } from './timed';

type Retry = (what: string) => StoreUnavailableError;

/**
 * A write whose operation is no longer `pending` when its primary write is recorded: the ledger sweep took it over
 * while this process did not report (paused past the grace between its claim and its primary call), and its replay
 * may have looked before this write landed (PROTOCOL.md, known limits).
 */
export class TakenOverWrites {
  constructor(
    private readonly options: Pick<DualWriteEngineOptions, 'ledger' | 'flags' | 'onWarning'>,
    private readonly planner: OperationPlanner,
    private readonly secondarySync: SecondarySync,
  ) {}

  /**
   * Makes the stores agree again on the keys and returns the error the caller gets: retry.
   * - Still open (`primary_unavailable`), or reopened when the replay had settled it (`abandoned`) or given up on it
   *   (`dead`: a serial create's key, learnt only now), and the flags still give the roles it was planned with: its
   *   keys are synced again from the primary; a delete is unsettled again then, so the sync may delete on the
   *   secondary.
   * - Settled, and a flip has since swapped the roles: the write landed on what is now the secondary, and is undone
   *   there (the keys made equal to the new primary, which may hold newer acknowledged writes). Never synced with
   *   its old roles.
   */
  async landed(plan: OperationPlan, operation: WriteOperation, keys: RowKey[], moved: LedgerTransitionError): Promise<StoreUnavailableError> {
    const retry: Retry = (what) =>
      new StoreUnavailableError(
        plan.primary.name,
        `operation ${plan.opId} was taken over by the ledger sweep while this process did not report (it was ${moved.status}); its write reached ${plan.primary.name} late${what}; retry with the same operation id`,
        'TAKEN_OVER',
        { cause: moved },
      );
    if (!plan.secondary) return retry('');
    if (moved.status === 'primary_unavailable') return this.resynced(plan, keys, retry);
    if (moved.status === 'abandoned' || moved.status === 'dead') {
      this.options.flags.invalidate();
      const now = await this.planner.plan(plan.entity, { opId: plan.opId }, plan.endpoint);
      if (now.primary === plan.primary && now.secondary === plan.secondary) {
        const landedNote = `its write on ${plan.primary.name} landed after the sweep took it over`;
        const reopened = await this.options.ledger.reopenLanded(plan.opId, now.flagVersion, keys.map(String), landedNote);
        if (reopened) return this.resynced(plan, keys, retry);
      } else if (now.primary === plan.secondary && now.secondary === plan.primary) {
        return this.undone(now, operation, keys, retry);
      }
    }
    this.options.onWarning?.(
      `operation ${plan.opId}: its write on ${plan.primary.name} landed after the sweep took it over and was not synced (it was ${moved.status}, or the flags moved since); reconciliation of ${plan.entity.name} ${keys.join(', ')} finds it`,
    );
    return retry('');
  }

  private async resynced(plan: OperationPlan, keys: RowKey[], retry: Retry): Promise<StoreUnavailableError> {
    const secondary = plan.secondary?.name;
    const resync = await this.secondarySync.resync(plan, keys);
    if (!resync.ok) {
      // Open, so the replay (or, when the queue cannot take it, the worker's sweep) syncs it.
      const notQueued = await this.secondarySync.enqueueReplay(plan.opId);
      if (notQueued) this.options.onWarning?.(notQueued);
      return retry(`; its sync to ${secondary} failed (${describeError(resync.error)}) and is replayed`);
    }
    // Refused when the worker's replay settled it meanwhile; left open otherwise, the sweep replays it.
    await this.options.ledger.transition(plan.opId, 'secondary_synced', {}).catch(() => undefined);
    return retry(` and ${secondary} was synced from it`);
  }

  /** The write landed on the store a flip made the secondary: the keys there are made equal to the new primary. */
  private async undone(now: OperationPlan, operation: WriteOperation, keys: RowKey[], retry: Retry): Promise<StoreUnavailableError> {
    const secondary = now.secondary?.name;
    const undo = await this.secondarySync.undoLanded(now, keys, operation === 'create');
    if (!undo.ok) {
      this.options.onWarning?.(
        `operation ${now.opId}: its write landed on ${secondary} after a flip made it the secondary and could not be undone (${describeError(undo.error)}); reconciliation of ${now.entity.name} ${keys.join(', ')} finds it`,
      );
      return retry(` after a flip made it the secondary; undoing it there failed`);
    }
    for (const left of undo.value.left) this.options.onWarning?.(left.reason);
    return retry(` after a flip made it the secondary, and was undone there: ${secondary} synced from ${now.primary.name}`);
  }
}
