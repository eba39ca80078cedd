import { v7 as uuidv7 } from 'uuid';
import { StoreUnavailableError } from '@dualwrite/stores';
import type { EntityDefinition, StorePlugin } from '@dualwrite/stores';
import type { DualWriteMode } from '../flags/dual-write-mode';
import type { CurrentFlags, FlagService } from '../flags/flag-service';
import type { DualWriteResult, StoreOutcome } from './dual-write-result';

/** Which store answers an operation and which one (in dual modes) follows it, as the flags say now. */
export interface OperationPlan {
  entity: EntityDefinition;
  mode: DualWriteMode;
  primary: StorePlugin;
  secondary: StorePlugin | null;
  opId: string;
  endpoint: string;
  /** The flag version the plan follows; a write is claimed only while it is current (PROTOCOL.md). */
  flagVersion: number;
  /** performance.now() when the call was planned; the primary path's latency is measured from here. */
  startedAt: number;
}

export interface OperationPlannerOptions {
  stores: { a: StorePlugin; b: StorePlugin | null };
  flags: FlagService;
}

export class OperationPlanner {
  constructor(private readonly options: OperationPlannerOptions) {}

  /** Follows the flags given (a write waits for unfenced ones first), or the current ones. */
  async plan(entity: EntityDefinition, request: { opId?: string; endpoint?: string }, fallbackEndpoint: string, flags?: CurrentFlags): Promise<OperationPlan> {
    const startedAt = performance.now();
    const { mode, version } = flags ?? (await this.options.flags.current());
    const { a, b } = this.options.stores;
    if (mode.primary === 'b' && !b) {
      throw new StoreUnavailableError('supabase', `the flags make store B primary (${mode.name}) but store B is not configured`, 'NOT_CONFIGURED');
    }
    const primary = mode.primary === 'a' ? a : (b as StorePlugin);
    const secondary = mode.dual ? (mode.primary === 'a' ? b : a) : null;
    return { entity, mode, primary, secondary, opId: request.opId ?? uuidv7(), endpoint: request.endpoint ?? fallbackEndpoint, startedAt, flagVersion: version };
  }
}

export function planResult<T>(plan: OperationPlan, data: T, stores: StoreOutcome[], queued: boolean, warnings: string[]): DualWriteResult<T> {
  return { data, mode: plan.mode.name, opId: plan.opId, stores, queued, degraded: false, warnings };
}
