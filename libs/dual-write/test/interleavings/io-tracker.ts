import type { Pool, PoolClient } from 'pg';

/**
 * Knows whether any real I/O of the simulated processes is still on its way (a PostgreSQL query, a Redis call,
 * a caller about to be answered), so the driver releases the next scheduled store call only once the system is
 * quiet: then the set of calls waiting for the scheduler depends on the calls released so far, not on how fast
 * PostgreSQL answered, and a seed replays the same interleaving.
 *
 * A query waiting for an advisory lock (KeySync) that another session holds is not on its way: it waits for a
 * store call to be released. The tracker keeps who holds which key lock to tell the two apart.
 */
export class IoTracker {
  private spans = 0;
  private readonly lockRequests = new Set<LockRequest>();
  private readonly holders = new Map<string, PoolClient>();
  private readonly heldBy = new Map<PoolClient, Set<string>>();
  private waiters: (() => void)[] = [];

  busy(): boolean {
    if (this.spans > 0) return true;
    for (const request of this.lockRequests) if (!this.blocked(request)) return true;
    return false;
  }

  /** What is on its way, for a driver that waited too long. */
  describe(): string {
    const requests = [...this.lockRequests].map((request) => `${request.names.join(',')}${this.blocked(request) ? ' (blocked)' : ''}`);
    return `${this.spans} call(s) in flight; lock requests: ${requests.join('; ') || 'none'}; held: ${[...this.holders.keys()].join(', ') || 'none'}`;
  }

  /** Counts `work` as on its way until it settles. */
  async track<T>(work: () => Promise<T>): Promise<T> {
    this.spans += 1;
    try {
      return await work();
    } finally {
      this.spans -= 1;
      this.notify();
    }
  }

  /** Something on its way that is no promise of ours (a caller about to be answered): the returned function ends it. */
  hold(): () => void {
    this.spans += 1;
    let open = true;
    return () => {
      if (!open) return;
      open = false;
      this.spans -= 1;
      this.notify();
    };
  }

  /** Resolves at the next change of what is on its way. */
  changed(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** The session of `client` ended (a crashed process): PostgreSQL freed its locks. */
  sessionEnded(client: PoolClient): void {
    this.releaseLocks(client);
  }

  async clientQuery<T>(client: PoolClient, text: string, params: unknown[] | undefined, run: () => Promise<T>): Promise<T> {
    // The keys' locks; the flip's wait for syncs whose roles were read from the flags (ROLE_SYNCS_LOCK) finds none
    // here (the simulated processes run no such sync), so it is an ordinary query.
    if (text.includes('pg_advisory_xact_lock(lock_id)')) return this.lockQuery(client, lockedNames(text), run);
    try {
      return await this.track(run);
    } finally {
      // KeySync ends its transaction alone or after settling its writes (`update …; commit`).
      if (/(^|;)\s*(commit|rollback)\s*$/i.test(text)) this.releaseLocks(client);
    }
  }

  private async lockQuery<T>(client: PoolClient, names: string[], run: () => Promise<T>): Promise<T> {
    const request: LockRequest = { client, names };
    this.lockRequests.add(request);
    this.notify();
    try {
      const result = await run();
      for (const name of request.names) this.holders.set(name, client);
      const held = this.heldBy.get(client) ?? new Set<string>();
      for (const name of request.names) held.add(name);
      this.heldBy.set(client, held);
      return result;
    } finally {
      this.lockRequests.delete(request);
      this.notify();
    }
  }

  private blocked(request: LockRequest): boolean {
    return request.names.some((name) => {
      const holder = this.holders.get(name);
      return holder !== undefined && holder !== request.client;
    });
  }

  private releaseLocks(client: PoolClient): void {
    const held = this.heldBy.get(client);
    if (!held) return;
    for (const name of held) if (this.holders.get(name) === client) this.holders.delete(name);
    this.heldBy.delete(client);
    this.notify();
  }

  private notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter();
  }
}

/**
 * The lock names of KeySync's lock statement (sync-settlement.ts lockKeysSql), read from its quoted literals:
 * `hashtextextended('<entity>' || ':' || key, 0)` over `unnest(array['<key>', …]::text[])`.
 */
function lockedNames(text: string): string[] {
  const entity = /hashtextextended\((E?'(?:[^']|'')*')/.exec(text)?.[1];
  const keys = /unnest\(array\[([^\]]*)\]::text\[\]\) as key\) locks/.exec(text)?.[1];
  if (entity === undefined || keys === undefined) throw new Error(`not a KeySync lock statement: ${text}`);
  const literals = (list: string) => [...list.matchAll(/E?'((?:[^']|'')*)'/g)].map((match) => (match[1] as string).replace(/''/g, "'"));
  const [entityName] = literals(entity);
  return literals(keys).map((key) => `${entityName}:${key}`);
}

interface LockRequest {
  client: PoolClient;
  names: string[];
}

/** What a simulated process's pool does once the process stopped: nothing reaches PostgreSQL any more. */
export interface PoolOwner {
  readonly name: string;
  stoppedError(): Error | null;
}

/**
 * The pool as a process sees it: every query and connection tracked, none sent once the process stopped. The
 * clients it hands out are tracked too (transactions, advisory locks) and remembered, so a crash can end their
 * sessions.
 */
export function trackedPool(pool: Pool, tracker: IoTracker, owner: PoolOwner, clients: Set<PoolClient>): Pool {
  return new Proxy(pool, {
    get(target, property, receiver) {
      if (property === 'query') {
        return async (...args: unknown[]) => {
          const stopped = owner.stoppedError();
          if (stopped) throw stopped;
          if (!exhausted(target)) return tracker.track(() => (target.query as (...query: unknown[]) => Promise<unknown>)(...args));
          // Every client is out (held by syncs that wait for the scheduler): waiting for one is nothing on its way.
          const client = await target.connect();
          try {
            return await tracker.track(() => (client.query as (...query: unknown[]) => Promise<unknown>)(...args));
          } finally {
            client.release();
          }
        };
      }
      if (property === 'connect') {
        return async () => {
          const stopped = owner.stoppedError();
          if (stopped) throw stopped;
          // Every client of the pool is out (their holders may wait for the scheduler): the connect waits for a
          // release, which is nothing on its way.
          const client = exhausted(target) ? await target.connect() : await tracker.track(() => target.connect());
          clients.add(client);
          if (!listening.has(client)) {
            listening.add(client);
            // A session ended by a crash must not take the test process with it.
            client.on('error', () => undefined);
          }
          return trackedClient(client, tracker);
        };
      }
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

function exhausted(pool: Pool): boolean {
  return pool.totalCount >= (pool.options.max ?? 10) && pool.idleCount === 0;
}

/** Clients already given an error listener (pools outlive runs). */
const listening = new WeakSet<PoolClient>();

function trackedClient(client: PoolClient, tracker: IoTracker): PoolClient {
  return new Proxy(client, {
    get(target, property, receiver) {
      if (property === 'query') {
        return (text: string, params?: unknown[]) => tracker.clientQuery(target, text, params, () => target.query(text, params));
      }
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
