import { StoreUnavailableError, type RowKey } from '@dualwrite/stores';
import type { LedgerTransitionError } from '../ledger/operation-transitions';
import type { DualWriteEngineOptions } from './dual-write-engine';
import type { OperationPlan, OperationPlanner } from './operation-plan';
import type { SecondarySync } from './secondary-sync';
import { describeError } from './timed';

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
   * Still open (`primary_unavailable`), or reopened when the replay had settled it (`abandoned`, and the flags
   * still give the roles it was planned with), its keys are synced again from the primary, so the stores agree; a
   * delete is unsettled again then, so the sync may delete on the secondary. Never with roles a flip has changed:
   * the new primary may hold newer acknowledged writes. Returns the error the caller gets: retry.
   */
  async landed(plan: OperationPlan, keys: RowKey[], moved: LedgerTransitionError): Promise<StoreUnavailableError> {
    const retry = (what: string) =>
      new StoreUnavailableError(
        plan.primary.name,
        `operation ${plan.opId} was taken over by the ledger sweep while this process did not report (it was ${moved.status}); its write reached ${plan.primary.name} late${what}; retry with the same operation id`,
        'TAKEN_OVER',
        { cause: moved },
      );
    if (!plan.secondary) return retry('');
    const open = moved.status === 'primary_unavailable' || (moved.status === 'abandoned' && (await this.reopen(plan)));
    if (!open) {
      this.options.onWarning?.(
        `operation ${plan.opId}: its write on ${plan.primary.name} landed after the sweep took it over and was not synced (it was ${moved.status}, or the flags moved since); reconciliation of ${plan.entity.name} ${keys.join(', ')} finds it`,
      );
      return retry('');
    }
    const resync = await this.secondarySync.resync(plan, keys);
    if (!resync.ok) {
      // Open, so the replay (or, when the queue cannot take it, the worker's sweep) syncs it.
      const notQueued = await this.secondarySync.enqueueReplay(plan.opId);
      if (notQueued) this.options.onWarning?.(notQueued);
      return retry(`; its sync to ${plan.secondary.name} failed (${describeError(resync.error)}) and is replayed`);
    }
    // Refused when the worker's replay settled it meanwhile; left open otherwise, the sweep replays it.
    await this.options.ledger.transition(plan.opId, 'secondary_synced', {}).catch(() => undefined);
    return retry(` and ${plan.secondary.name} was synced from it`);
  }

  /** Reopens an abandoned operation whose write landed, when the current flags still give it the same roles. */
  private async reopen(plan: OperationPlan): Promise<boolean> {
    this.options.flags.invalidate();
    const now = await this.planner.plan(plan.entity, { opId: plan.opId }, plan.endpoint);
    if (now.primary !== plan.primary || now.secondary !== plan.secondary) return false;
    return this.options.ledger.reopenLanded(plan.opId, now.flagVersion, `its write on ${plan.primary.name} landed after the sweep took it over`);
  }
}
