import type Redis from 'ioredis';
import { StoreUnavailableError } from '@dualwrite/stores';
import { closeRedis, openRedis } from '../queues/redis-connection';
import { platformRedisKeys } from '../queues/redis-keys';
import { modeOf, type DualWriteMode } from './dual-write-mode';
import type { FlagChange, FlagRepository, FlagState } from './flag-repository';
import type { ProcessRegistry } from './process-registry';

const SUBSCRIBE_WAIT_MS = 2_000;


export interface FlagServiceOptions {
  redisUrl: string;
  /**
   * Prefix of the platform's Redis keys (DW_REDIS_PREFIX, default `dw`): every process subscribes to
   * `<prefix>:flags:changed`, and a change publishes its new version there so peers drop their cached flags.
   */
  redisKeyPrefix?: string;
  /** How long a process trusts its cached flags when no change message arrives. Default 5000 ms. */
  cacheTtlMs?: number;
  /** Told when a change cannot be published (peers then switch after their cache TTL). */
  onWarning?: (message: string) => void;
  /**
   * Reports every second which flag version this process acts on (read fresh each time), so a flip of the
   * primary can wait for every live process. Absent: the process is not counted (tools, tests).
   */
  registry?: { registry: ProcessRegistry; processId: string; kind: string };
}

/** How often a fenced version is read again while writes wait for the flip to finish. */
const FENCE_POLL_MS = 50;
const REPORT_EVERY_MS = 1_000;

export interface CurrentFlags extends FlagState {
  mode: DualWriteMode;
}

/**
 * The flags as this process sees them: read from the control database, cached for `cacheTtlMs`, and
 * invalidated across processes through Redis pub/sub, so a flip reaches every process within a second.
 */
export class FlagService {
  private cached: { state: CurrentFlags; readAt: number } | null = null;
  private pendingRead: Promise<CurrentFlags> | null = null;
  /** The newest version this process heard of: a read returning an older one (in flight during a change) is not trusted. */
  private newestVersionSeen = 0;
  private reporter: NodeJS.Timeout | null = null;
  private unfencedWait: Promise<CurrentFlags> | null = null;
  private readonly subscriber: Redis;
  private readonly publisher: Redis;
  private readonly cacheTtlMs: number;
  private readonly channel: string;

  constructor(
    private readonly repository: FlagRepository,
    private readonly options: FlagServiceOptions,
  ) {
    this.cacheTtlMs = options.cacheTtlMs ?? 5_000;
    this.channel = platformRedisKeys(options.redisKeyPrefix).flagsChanged;
    // Redis being away must not crash the process: the cache TTL bounds staleness meanwhile.
    this.subscriber = openRedis(options.redisUrl, 'subscriber');
    this.publisher = openRedis(options.redisUrl, 'fail-fast');
    this.subscriber.on('message', (channel: string, message: string) => {
      if (channel === this.channel) this.onChangeMessage(message);
    });
  }

  /**
   * Subscribes to change messages. Call once before serving traffic. With Redis away the process still
   * starts: the subscription completes when Redis is back, and meanwhile the cache TTL bounds staleness.
   */
  async start(): Promise<void> {
    const publisherReady = this.publisher.connect().then(
      () => true,
      () => false,
    );
    this.subscriber.connect().catch(() => undefined);
    const subscribed = Promise.all([this.subscriber.subscribe(this.channel), publisherReady]);
    const waited = await Promise.race([
      subscribed.then(() => true),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), SUBSCRIBE_WAIT_MS).unref()),
    ]).catch(() => false);
    if (!waited) {
      subscribed.catch(() => undefined);
      this.options.onWarning?.(`Redis did not answer within ${SUBSCRIBE_WAIT_MS} ms; flag changes reach this process within ${this.cacheTtlMs} ms until it does`);
    }
    if (this.options.registry) {
      await this.report();
      this.reporter = setInterval(() => void this.report(), REPORT_EVERY_MS);
      this.reporter.unref();
    }
  }

  /** This process's id in dual_write_processes; null when it does not report (no registry). */
  get processId(): string | null {
    return this.options.registry?.processId ?? null;
  }

  /** Forgets the cached flags: the next read goes to the control database. */
  invalidate(): void {
    this.cached = null;
  }

  /**
   * The flags once no flip is fencing writes: returns at once when unfenced, else waits (re-reading the flags)
   * at most `maxWaitMs`, then throws StoreUnavailableError (HTTP 503 with Retry-After).
   */
  async unfenced(maxWaitMs: number): Promise<CurrentFlags> {
    const now = await this.current();
    if (!now.fenced) return now;
    this.unfencedWait ??= this.pollUntilUnfenced(maxWaitMs).finally(() => {
      this.unfencedWait = null;
    });
    return this.unfencedWait;
  }

  private async pollUntilUnfenced(maxWaitMs: number): Promise<CurrentFlags> {
    const deadline = Date.now() + maxWaitMs;
    for (;;) {
      this.invalidate();
      const flags = await this.current();
      if (!flags.fenced) return flags;
      if (Date.now() >= deadline) {
        throw new StoreUnavailableError('control', `a phase flip is fencing writes at flag version ${flags.version}; retry shortly`, 'FLIP_IN_PROGRESS');
      }
      await new Promise((resolve) => setTimeout(resolve, FENCE_POLL_MS));
    }
  }

  /** Reads the flags fresh and says which version this process acts on; a failed report is retried next second. */
  private async report(): Promise<void> {
    const registry = this.options.registry;
    if (!registry) return;
    try {
      this.invalidate();
      const flags = await this.current();
      await registry.registry.report(registry.processId, registry.kind, flags.version);
    } catch {
      // The control database is away: this process cannot claim writes either, so nothing acts on stale flags.
    }
  }

  async current(): Promise<CurrentFlags> {
    if (this.cached && Date.now() - this.cached.readAt < this.cacheTtlMs) return this.cached.state;
    this.pendingRead ??= this.readFresh().finally(() => {
      this.pendingRead = null;
    });
    return this.pendingRead;
  }

  async change(change: FlagChange): Promise<{ before: CurrentFlags; after: CurrentFlags }> {
    const { before, after } = await this.repository.change({ ...change, fencedBy: this.processId });
    const current = withMode(after);
    this.newestVersionSeen = Math.max(this.newestVersionSeen, after.version);
    this.cached = { state: current, readAt: Date.now() };
    void this.report();
    try {
      await this.publisher.publish(this.channel, JSON.stringify({ version: after.version }));
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      this.options.onWarning?.(`flags changed to version ${after.version} but the change message was not published (${reason}); other processes switch within ${this.cacheTtlMs} ms`);
    }
    return { before: withMode(before), after: current };
  }

  /**
   * Lifts a fence whose flip's process has not reported for `fencerSilentForMs` (FlagRepository.liftAbandonedFence):
   * the flags go back to what they were before that flip. Null when no fence is up or its process still reports.
   */
  async liftAbandonedFence(changedBy: string, fencerSilentForMs: number): Promise<FlagState | null> {
    const restored = await this.repository.liftAbandonedFence(Number.POSITIVE_INFINITY, changedBy, fencerSilentForMs);
    if (restored) this.invalidate();
    return restored;
  }

  /** See FlagRepository.waitForRoleSyncs: a flip of the primary waits for syncs that read the old roles. */
  waitForRoleSyncs(timeoutMs: number): Promise<boolean> {
    return this.repository.waitForRoleSyncs(timeoutMs);
  }

  async close(): Promise<void> {
    if (this.reporter) clearInterval(this.reporter);
    const registry = this.options.registry;
    if (registry) await registry.registry.forget(registry.processId).catch(() => undefined);
    await Promise.all([closeRedis(this.subscriber), closeRedis(this.publisher)]);
  }

  /** A failed read falls back to the last flags seen; with none, the control database is unavailable. */
  private async readFresh(): Promise<CurrentFlags> {
    let state: CurrentFlags;
    try {
      state = withMode(await this.repository.read());
    } catch (error) {
      if (this.cached) return this.cached.state;
      throw new StoreUnavailableError('control', `the phase flags cannot be read: ${error instanceof Error ? error.message : String(error)}`, 'CONTROL_DB', { cause: error });
    }
    if (state.version < this.newestVersionSeen) {
      // Read while a change was being published: answer with it once, but do not keep it.
      return state;
    }
    this.newestVersionSeen = state.version;
    this.cached = { state, readAt: Date.now() };
    return state;
  }

  private onChangeMessage(message: string): void {
    let version: unknown;
    try {
      version = (JSON.parse(message) as { version?: unknown }).version;
    } catch {
      version = undefined;
    }
    if (typeof version === 'number') {
      this.newestVersionSeen = Math.max(this.newestVersionSeen, version);
      if (this.cached && this.cached.state.version >= version) return;
    }
    this.cached = null;
    // Confirm the new version at once: a flip of the primary waits for every process to.
    void this.report();
  }
}

function withMode(state: FlagState): CurrentFlags {
  return { ...state, mode: modeOf(state) };
}
