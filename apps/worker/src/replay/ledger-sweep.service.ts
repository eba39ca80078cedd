import { Inject, Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';
import type { PlatformConfig } from '@dualwrite/config';
import { FlagRepository, OperationLedger, PROCESS_LIVE_WITHIN_MS, ProcessRegistry, ReplayQueue, requeueOwedOperations } from '@dualwrite/dual-write';
import { PLATFORM_CONFIG } from '../worker.constants';

const SWEEP_EVERY_MS = 30_000;
/** Younger operations are still on their way to the queue (or being written); leave them be. */
const OWED_FOR_AT_LEAST_MS = 60_000;
/**
 * A write's own calls end long before this (store timeouts); still pending then, its process stopped mid-write.
 * For operations with no process recorded, or whose process still reports (a call of its own may yet land).
 */
const PENDING_FOR_AT_LEAST_MS = 10 * 60_000;
/**
 * A flip's barrier gives up long before this; a fence still up then was left by a process that stopped. A fence
 * whose process is recorded is lifted sooner: once that process has not reported for the flip barrier's own
 * liveness window (PROCESS_LIVE_WITHIN_MS).
 */
const FENCED_FOR_AT_LEAST_MS = 2 * 60_000;
/** A process silent this long crashed (a graceful stop removes its own row); its row is dropped. */
const FORGET_PROCESSES_SILENT_FOR_MS = 60 * 60_000;

/**
 * Every 30 s, queues the operations the secondary has owed for over a minute without progress: their replay
 * job never reached Redis (it was away) or was dropped; and the ones a process left open when it stopped: once it
 * has not reported for DW_STOPPED_PROCESS_GRACE_MS (a minute by default), else after 10 minutes. Job ids are
 * opIds, so a queued one is not doubled. Also lifts a fence a stopped flip left, and forgets processes silent for
 * an hour.
 */
@Injectable()
export class LedgerSweepService implements BeforeApplicationShutdown {
  private readonly logger = new Logger(LedgerSweepService.name);
  private running: Promise<number> | null = null;
  private stopped = false;

  private readonly stoppedProcessGraceMs: number;

  constructor(
    private readonly ledger: OperationLedger,
    private readonly queue: ReplayQueue,
    private readonly flags: FlagRepository,
    private readonly processes: ProcessRegistry,
    @Inject(PLATFORM_CONFIG) config: PlatformConfig,
  ) {
    this.stoppedProcessGraceMs = config.worker.stoppedProcessGraceMs;
  }

  @Interval('ledger-sweep', SWEEP_EVERY_MS)
  async onSchedule(): Promise<void> {
    if (this.stopped) return;
    await this.sweep().catch((error: Error) => this.logger.warn(`ledger sweep failed, next one in 30 s: ${error.message}`));
  }

  /** Returns how many operations were queued. */
  async sweep(): Promise<number> {
    this.running ??= this.requeue().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    await this.running?.catch(() => undefined);
  }

  private async requeue(): Promise<number> {
    const restored = await this.flags.liftAbandonedFence(FENCED_FOR_AT_LEAST_MS, 'worker:ledger-sweep', PROCESS_LIVE_WITHIN_MS);
    if (restored) this.logger.warn(`lifted a fence a stopped flip left behind: ${restored.reason}`);
    const forgotten = await this.processes.forgetSilent(FORGET_PROCESSES_SILENT_FOR_MS);
    if (forgotten.length > 0) this.logger.log(`forgot ${forgotten.length} process(es) silent for over an hour: ${forgotten.join(', ')}`);
    const queued = await requeueOwedOperations(this.ledger, this.queue, {
      olderThanMs: OWED_FOR_AT_LEAST_MS,
      pendingOlderThanMs: PENDING_FOR_AT_LEAST_MS,
      stoppedProcessGraceMs: this.stoppedProcessGraceMs,
    });
    if (queued > 0) this.logger.log(`ledger sweep queued ${queued} owed operation(s)`);
    return queued;
  }
}
