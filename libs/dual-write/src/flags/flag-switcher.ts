import type { EntityDefinition, StorePlugin } from '@dualwrite/stores';
import type { OperationLedger, OperationStatus } from '../ledger/operation-ledger';
import { modeOf, type DualWriteFlags } from './dual-write-mode';
import { needsEvidence, unmetGateConditions, type EntityGateEvidence, type GateEvidence, type GatePolicy, type Phase } from './phase-gates';
import { StaleFlagsError, type FlagChange } from './flag-repository';
import type { CurrentFlags, FlagService } from './flag-service';
import { PROCESS_LIVE_WITHIN_MS, type ProcessRegistry } from './process-registry';

export interface FlagSwitcherOptions {
  flags: FlagService;
  ledger: OperationLedger;
  registry: ProcessRegistry;
  /** Longest a flip of the primary waits for old writes to settle and every process to confirm. Default 10 s. */
  settleTimeoutMs?: number;
  pollMs?: number;
  /**
   * The stores and entities, to move the new primary's sequences above the old primary's highest keys while the
   * fence holds. Absent (a tool without stores): only the syncs' own sequence moves protect serial keys.
   */
  sequences?: { stores: { a: StorePlugin; b: StorePlugin | null }; entities: EntityDefinition[] };
  /** The phase gates (phase-gates.ts); absent: any transition (tests and tools below the platform's surfaces). */
  gates?: PhaseGatesOptions;
}

/** Where the copy and reconcile records the gates judge come from (libs/reconcile keeps them). */
export interface GateEvidenceSource {
  read(entities: string[]): Promise<{ at: Date; entities: Record<string, EntityGateEvidence> }>;
}

export interface PhaseGatesOptions {
  evidence: GateEvidenceSource;
  /** The entities that must be copied and reconciled. */
  entities: string[];
  policy: GatePolicy;
}

/** A transition the phase gates refused, naming every unmet condition; the flags did not change. Maps to HTTP 409. */
export class PhaseGateRefusedError extends Error {
  constructor(
    readonly from: Phase,
    readonly to: Phase,
    readonly unmet: string[],
  ) {
    super(`phase ${from} → ${to} refused by the phase gates: ${unmet.join('; ')} (force it with a reason to override; it is recorded)`);
    this.name = 'PhaseGateRefusedError';
  }
}

/** A flip of the primary the barrier refused; the flags went back to what they were. Maps to HTTP 409. */
export class FlipRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FlipRefusedError';
  }
}

/**
 * A change asked for while a flip's fence is up: that flip is in its barrier, and a change now would lift its fence
 * without one. Nothing was changed. Maps to HTTP 409.
 */
export class FlipInProgressError extends Error {
  constructor(readonly fence: CurrentFlags) {
    super(
      `a flip to ${fence.mode.name} is fencing writes (flag version ${fence.version}, by ${fence.fencedBy ?? 'a process that does not report'}, since ${fence.updatedAt.toISOString()}): ` +
        'nothing was changed; send the change again once it has finished or been refused',
    );
    this.name = 'FlipInProgressError';
  }
}

export interface FlipResult {
  before: CurrentFlags;
  after: CurrentFlags;
  /** The flip changed the primary, so it went through the fenced barrier. */
  fenced: boolean;
}

/**
 * The one way the flags change (PROTOCOL.md, mechanism 3). A change that keeps the primary is applied at once.
 * A change of the primary is fenced: the new flags are written as a fenced version (no write is claimed under
 * any version meanwhile), then the barrier waits until every sync whose roles were read from the old flags has
 * ended (ROLE_SYNCS_LOCK), every live process acts on that version and every write claimed under an older one has
 * settled, then lifts the fence. If that does not happen in time, or an old write
 * is dead (the new primary would lack it), the flags go back to the old ones and the refusal says why.
 */
export class FlagSwitcher {
  private readonly settleTimeoutMs: number;
  private readonly pollMs: number;

  constructor(private readonly options: FlagSwitcherOptions) {
    this.settleTimeoutMs = options.settleTimeoutMs ?? 10_000;
    this.pollMs = options.pollMs ?? 50;
  }

  async change(change: FlagChange): Promise<FlipResult> {
    const { flags } = this.options;
    flags.invalidate();
    const current = await this.unfencedFlags(change.changedBy);
    const next: DualWriteFlags = { ...flagsOf(current), ...change.next };
    const gated = await this.passGates(current.mode.phase, modeOf(next).phase, change);
    // Decided on the version just read: if another change lands first, this one is refused as stale.
    const decided: FlagChange = { ...gated, expectedVersion: change.expectedVersion ?? current.version };
    if (modeOf(next).primary === current.mode.primary) {
      const { before, after } = await flags.change(decided);
      return { before, after, fenced: false };
    }
    const fencedChange = await flags.change({ ...decided, fenced: true });
    const version = fencedChange.after.version;
    const blocker = await this.waitForBarrier(version);
    if (blocker) {
      const restored = await this.restore(fencedChange.before, version, change, blocker);
      throw new FlipRefusedError(`flip to ${fencedChange.after.mode.name} refused: ${blocker}; ${restored}`);
    }
    const sequences = await this.raiseSequences(current.mode.primary, modeOf(next).primary);
    const lifted = await flags.change({
      next,
      changedBy: change.changedBy,
      source: change.source,
      reason: `${decided.reason} (fence lifted: every process on version ${version}, older writes settled${sequences})`,
      expectedVersion: version,
    });
    return { before: fencedChange.before, after: lifted.after, fenced: true };
  }

  /**
   * The current flags, unfenced. A fence up is a flip in its barrier: a change now (even one that keeps the fenced
   * primary) would lift it without one, so it is refused while the fencing process reports. A fence whose process
   * stopped reporting is lifted first (the flags go back to what they were before that flip, as the worker's sweep
   * would do) and the change is decided on what that leaves.
   */
  private async unfencedFlags(changedBy: string): Promise<CurrentFlags> {
    const { flags } = this.options;
    const current = await flags.current();
    if (!current.fenced) return current;
    const restored = await flags.liftAbandonedFence(changedBy, PROCESS_LIVE_WITHIN_MS);
    if (!restored) throw new FlipInProgressError(current);
    const after = await flags.current();
    if (after.fenced) throw new FlipInProgressError(after);
    return after;
  }

  /**
   * Puts back the flags from before a refused flip, only while its fenced version is still current: a fence lifted
   * meanwhile (its process was taken for stopped) may have been followed by newer flags, which stay. Says which.
   */
  private async restore(before: CurrentFlags, fencedVersion: number, change: FlagChange, blocker: string): Promise<string> {
    try {
      await this.options.flags.change({
        next: flagsOf(before),
        changedBy: change.changedBy,
        source: change.source,
        reason: `flip refused, flags back to version ${before.version}'s: ${blocker}`,
        expectedVersion: fencedVersion,
      });
      return `the flags are back to ${before.mode.name}`;
    } catch (error) {
      if (!(error instanceof StaleFlagsError)) throw error;
      return `its fence had already been lifted (the flags are at version ${error.currentVersion}), so they were left as they are`;
    }
  }

  /** The change as it may go ahead (a forced one says what it overrode), or PhaseGateRefusedError. */
  private async passGates(from: Phase, to: Phase, change: FlagChange): Promise<FlagChange> {
    const gates = this.options.gates;
    if (!gates) return change;
    const evidence = needsEvidence(from, to) ? await this.gateEvidence(gates) : null;
    const unmet = unmetGateConditions(from, to, evidence, gates.policy);
    if (unmet.length === 0) return change;
    if (!change.force) throw new PhaseGateRefusedError(from, to, unmet);
    return { ...change, reason: `${change.reason} [forced past the phase gates: ${unmet.join('; ')}]` };
  }

  /** Null when the records cannot be read (the gate then refuses, saying so). */
  private async gateEvidence(gates: PhaseGatesOptions): Promise<GateEvidence | null> {
    try {
      const [records, open] = await Promise.all([gates.evidence.read(gates.entities), this.options.ledger.countOpen()]);
      const count = (status: OperationStatus) => open.get(status) ?? 0;
      return { ...records, owedOperations: count('secondary_pending') + count('primary_unavailable'), deadOperations: count('dead') };
    } catch {
      return null;
    }
  }

  /**
   * While no write is allowed: every serial sequence of the new primary moves above the old primary's highest key,
   * so the new primary never hands out a key the old one gave (rows it never synced included). Says what it did.
   */
  private async raiseSequences(from: 'a' | 'b', to: 'a' | 'b'): Promise<string> {
    const sequences = this.options.sequences;
    if (!sequences) return '';
    const oldPrimary = sequences.stores[from];
    const newPrimary = sequences.stores[to];
    if (!oldPrimary || !newPrimary) return '';
    const serial = sequences.entities.filter((entity) => entity.keyStrategy === 'serial');
    try {
      for (const entity of serial) {
        const highest = await oldPrimary.highestKey(entity);
        if (highest !== null) await newPrimary.keepSequenceAbove(entity, highest);
      }
      return serial.length ? `; ${newPrimary.name} sequences above ${oldPrimary.name}'s highest keys` : '';
    } catch (error) {
      // Every key the old primary handed out under dual writes was synced (the barrier saw to it), and each sync
      // moved the new primary's sequence; only rows from a single-store phase are not covered, and those need a copy.
      return `; sequence check skipped, ${oldPrimary.name} did not answer: ${error instanceof Error ? error.message : String(error)}`;
    }
  }

  /** Null once the barrier holds; else what still blocks it when the time is up (or at once for a dead write). */
  private async waitForBarrier(version: number): Promise<string | null> {
    const deadline = Date.now() + this.settleTimeoutMs;
    if (!(await this.options.flags.waitForRoleSyncs(this.settleTimeoutMs))) {
      return `a sync whose roles were read under the old flags (a repair, a backfill) did not end within ${this.settleTimeoutMs} ms`;
    }
    for (;;) {
      const [behind, old] = await Promise.all([this.options.registry.behind(version), this.options.ledger.unsettledBefore(version)]);
      if (old.dead > 0) {
        const dead = old.sample.filter((operation) => operation.status === 'dead').map((operation) => operation.opId);
        return `${old.dead} write(s) claimed under an older version are dead (${dead.join(', ')}): the new primary would lack them`;
      }
      if (behind.length === 0 && old.unsettled === 0) return null;
      if (Date.now() >= deadline) {
        const reasons: string[] = [];
        if (behind.length > 0) {
          reasons.push(`process(es) ${behind.map((process) => `${process.processId} (${process.kind}, on version ${process.flagVersion})`).join(', ')} did not confirm version ${version}`);
        }
        if (old.unsettled > 0) {
          reasons.push(`${old.unsettled} write(s) claimed under an older version did not settle (${old.sample.map((operation) => `${operation.opId} ${operation.status}`).join(', ')})`);
        }
        return `${reasons.join('; ')} within ${this.settleTimeoutMs} ms`;
      }
      await new Promise((resolve) => setTimeout(resolve, this.pollMs));
    }
  }
}

function flagsOf(flags: DualWriteFlags): DualWriteFlags {
  return { enableDualWrite: flags.enableDualWrite, enableSupabasePrimary: flags.enableSupabasePrimary };
}
