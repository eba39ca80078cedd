import type Redis from 'ioredis';
import { modeOf, type DualWriteFlags, type DualWriteMode } from '../flags/dual-write-mode';
import { StaleFlagsError } from '../flags/flag-repository';
import { PhaseGateRefusedError, type FlagSwitcher } from '../flags/flag-switcher';
import type { Alert, AlertSnapshot } from './alert.types';
import type { AlertLogger } from './alert-logger';
import { platformRedisKeys } from '../queues/redis-keys';

/** The Redis hash of incidents the guard already acted on (field: the alert key). */

export const ROLLBACK_CHANGED_BY = 'auto-rollback guard';

/** Marks of incidents a disabled guard logged (so it logs each once). */
const DISABLED_PREFIX = 'disabled:';

export interface RollbackGuardOptions {
  flags: Pick<FlagSwitcher, 'change'>;
  redis: Redis;
  logger: AlertLogger;
  /** ROLLBACK_ENABLED; when false the guard only logs what it would have done. */
  enabled: boolean;
  /** Default `dw:alerts:rolled-back`. */
  handledKey?: string;
}

export interface Rollback {
  alert: Alert;
  from: DualWriteMode;
  to: DualWriteMode;
  reason: string;
}

const FLAGS_OF_PHASE: Record<1 | 2 | 3 | 4, DualWriteFlags> = {
  1: { enableDualWrite: false, enableSupabasePrimary: false },
  2: { enableDualWrite: true, enableSupabasePrimary: false },
  3: { enableDualWrite: true, enableSupabasePrimary: true },
  4: { enableDualWrite: false, enableSupabasePrimary: true },
};

/**
 * Flips the flags back to the last safe mode when a rollback rule fires (secondary error rate, primary
 * latency regression): the phase the current one was entered from, by the flag history, or the phase before it
 * when the history does not say. Only a step the phase gates allow: a refused one (no step, or 4→3 without the
 * reverse copy and a clean reconcile) is logged once per incident and left to an operator. Through FlagSwitcher, so every process switches within a second and a change of
 * the primary goes through the fenced barrier; once per
 * incident (marked in Redis until the alert clears); only if nobody changed the flags since the snapshot.
 */
export class RollbackGuard {
  private readonly handledKey: string;

  constructor(private readonly options: RollbackGuardOptions) {
    this.handledKey = options.handledKey ?? platformRedisKeys().rolledBack;
  }

  /** The last safe mode from a snapshot, or null in phase 1 (nothing to go back to). */
  static targetOf(snapshot: AlertSnapshot): DualWriteMode | null {
    if (snapshot.mode.phase === 1) return null;
    if (snapshot.lastAdvance) return snapshot.lastAdvance.from;
    return modeOf(FLAGS_OF_PHASE[(snapshot.mode.phase - 1) as 1 | 2 | 3]);
  }

  async act(alerts: Alert[], snapshot: AlertSnapshot): Promise<Rollback | null> {
    await this.forgetCleared(alerts);
    const trigger = alerts.find((alert) => alert.rollsBack);
    const target = RollbackGuard.targetOf(snapshot);
    if (!trigger || !target) return null;
    const reason = `${trigger.rule}: ${trigger.summary}; rolled back from phase ${snapshot.mode.phase} (${snapshot.mode.name}) to phase ${target.phase} (${target.name})`;
    if (!this.options.enabled) {
      // Its own mark: a guard enabled later in the same incident still acts.
      if (await this.mark(`${DISABLED_PREFIX}${trigger.key}`)) this.options.logger.warn(`auto-rollback disabled (ROLLBACK_ENABLED=false); would have acted on ${reason}`);
      return null;
    }
    if (!(await this.mark(trigger.key))) return null;
    try {
      await this.options.flags.change({
        next: { enableDualWrite: flagsOf(target).enableDualWrite, enableSupabasePrimary: flagsOf(target).enableSupabasePrimary },
        changedBy: ROLLBACK_CHANGED_BY,
        source: 'auto-rollback',
        reason,
        expectedVersion: snapshot.flagsVersion,
      });
    } catch (error) {
      if (error instanceof PhaseGateRefusedError) {
        // Not a passing state: the step back needs evidence nobody has yet. Said once per incident (the mark stays).
        this.options.logger.warn(`auto-rollback on ${trigger.rule} not applied: ${error.message}`);
        return null;
      }
      await this.options.redis.hdel(this.handledKey, trigger.key);
      const why = error instanceof StaleFlagsError ? 'the flags changed since they were read; deciding again next run' : `${error instanceof Error ? error.message : String(error)}; trying again next run`;
      this.options.logger.warn(`auto-rollback on ${trigger.rule} not applied: ${why}`);
      return null;
    }
    this.options.logger.warn(`auto-rollback applied: ${reason}`);
    return { alert: trigger, from: snapshot.mode, to: target, reason };
  }

  private async mark(field: string): Promise<boolean> {
    return (await this.options.redis.hsetnx(this.handledKey, field, new Date().toISOString())) === 1;
  }

  /** An incident ends when its alert stops firing; the next firing may roll back again. */
  private async forgetCleared(alerts: Alert[]): Promise<void> {
    const firing = new Set(alerts.filter((alert) => alert.rollsBack).map((alert) => alert.key));
    const handled = await this.options.redis.hkeys(this.handledKey);
    const cleared = handled.filter((field) => !firing.has(field.startsWith(DISABLED_PREFIX) ? field.slice(DISABLED_PREFIX.length) : field));
    if (cleared.length > 0) await this.options.redis.hdel(this.handledKey, ...cleared);
  }
}

function flagsOf(mode: DualWriteMode): DualWriteFlags {
  return FLAGS_OF_PHASE[mode.phase];
}
