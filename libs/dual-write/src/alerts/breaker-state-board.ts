import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type Redis from 'ioredis';
import type { BreakerStateName } from '../breakers/breaker.types';
import type { StoreBreakers } from '../breakers/store-breakers';
import { withDeadline } from '../queues/with-deadline';
import { platformRedisKeys } from '../queues/redis-keys';


/** One process's breaker for one store, as published for the worker's alert rules. */
export interface PublishedBreakerState {
  store: string;
  state: BreakerStateName;
  /** When the breaker entered its current state. */
  since: Date;
  /**
   * When the breaker last left `closed` (null while closed). An outage cycles open → half_open → open,
   * so `since` restarts every cycle; this does not.
   */
  downSince: Date | null;
  process: string;
  reportedAt: Date;
}

interface StoredState {
  store: string;
  state: BreakerStateName;
  since: string;
  downSince: string | null;
  process: string;
  reportedAt: string;
}

/**
 * Breaker states of every process in one Redis hash, so the worker sees "a breaker open for 5 minutes"
 * in an API process. Entries not refreshed within `staleAfterMs` belong to a process that died: ignored
 * and removed.
 */
export class BreakerStateBoard {
  constructor(
    private readonly redis: Redis,
    /** The Redis hash every process writes its breakers' states into (one field per store and process). */
    private readonly key = platformRedisKeys().breakers,
    private readonly staleAfterMs = 120_000,
  ) {}

  async publish(states: PublishedBreakerState[]): Promise<void> {
    if (states.length === 0) return;
    const fields: string[] = [];
    for (const state of states) {
      const stored: StoredState = {
        store: state.store,
        state: state.state,
        since: state.since.toISOString(),
        downSince: state.downSince?.toISOString() ?? null,
        process: state.process,
        reportedAt: state.reportedAt.toISOString(),
      };
      fields.push(fieldOf(state.store, state.process), JSON.stringify(stored));
    }
    await this.redis.hset(this.key, ...fields);
  }

  async remove(process: string, stores: string[]): Promise<void> {
    if (stores.length === 0) return;
    await this.redis.hdel(this.key, ...stores.map((store) => fieldOf(store, process)));
  }

  /** Live entries of every process; stale ones (and unreadable ones) are dropped from the hash. */
  async read(now = new Date()): Promise<PublishedBreakerState[]> {
    const entries = await this.redis.hgetall(this.key);
    const live: PublishedBreakerState[] = [];
    const dead: string[] = [];
    for (const [field, text] of Object.entries(entries)) {
      const state = parse(text);
      if (!state || now.getTime() - state.reportedAt.getTime() > this.staleAfterMs) dead.push(field);
      else live.push(state);
    }
    if (dead.length > 0) await this.redis.hdel(this.key, ...dead);
    return live.sort((left, right) => left.store.localeCompare(right.store) || left.process.localeCompare(right.process));
  }
}

function fieldOf(store: string, process: string): string {
  return `${store}@${process}`;
}

function parse(text: string): PublishedBreakerState | null {
  try {
    const stored = JSON.parse(text) as StoredState;
    const state: PublishedBreakerState = {
      store: stored.store,
      state: stored.state,
      since: new Date(stored.since),
      downSince: stored.downSince ? new Date(stored.downSince) : null,
      process: stored.process,
      reportedAt: new Date(stored.reportedAt),
    };
    return Number.isNaN(state.reportedAt.getTime()) ? null : state;
  } catch {
    return null;
  }
}

export interface BreakerStatePublisherOptions {
  /** Names this process in the board. Default host:pid:random. */
  processId?: string;
  /** Re-publishes every state this often so the board can tell a live process from a dead one. Default 30 s. */
  refreshEveryMs?: number;
  onWarning?: (message: string) => void;
  /** Releases what the publisher was given to own (its Redis connection), called by `close()`. */
  onClose?: () => void;
}

/** Publishes one process's StoreBreakers to the board: on every state change, and refreshed periodically. */
export class BreakerStatePublisher {
  readonly processId: string;
  private readonly downSince = new Map<string, Date>();
  private subscription: { dispose(): void } | null = null;
  private timer: NodeJS.Timeout | null = null;
  private lastFailure: string | null = null;

  constructor(
    private readonly breakers: StoreBreakers,
    private readonly board: BreakerStateBoard,
    private readonly options: BreakerStatePublisherOptions = {},
  ) {
    this.processId = options.processId ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  }

  start(): void {
    if (this.subscription) return;
    for (const state of this.breakers.snapshot()) if (state.state !== 'closed') this.downSince.set(state.store, state.since);
    this.subscription = this.breakers.onStateChange((change) => {
      if (change.to === 'closed') this.downSince.delete(change.store);
      else if (change.from === 'closed' || !this.downSince.has(change.store)) this.downSince.set(change.store, change.at);
      void this.publishAll();
    });
    this.timer = setInterval(() => void this.publishAll(), this.options.refreshEveryMs ?? 30_000);
    this.timer.unref();
    void this.publishAll();
  }

  /** Stops publishing and takes this process's entries off the board. */
  async stop(): Promise<void> {
    this.subscription?.dispose();
    this.subscription = null;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    const stores = this.breakers.snapshot().map((state) => state.store);
    await withDeadline(this.board.remove(this.processId, stores), 1_000, 'removing breaker states').catch(() => undefined);
  }

  /** Stops and releases what the publisher owns. */
  async close(): Promise<void> {
    await this.stop();
    this.options.onClose?.();
  }

  /** Publishes the current state of every breaker; never throws (Redis away: the next refresh tries again). */
  async publishAll(): Promise<void> {
    const reportedAt = new Date();
    const states = this.breakers.snapshot().map((state) => ({
      store: state.store,
      state: state.state,
      since: state.since,
      downSince: state.state === 'closed' ? null : (this.downSince.get(state.store) ?? state.since),
      process: this.processId,
      reportedAt,
    }));
    try {
      await this.board.publish(states);
      this.lastFailure = null;
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      // One warning per outage, not one per refresh.
      if (this.lastFailure === null) this.options.onWarning?.(`breaker states could not be published to Redis (${reason}); retrying`);
      this.lastFailure = reason;
    }
  }
}
