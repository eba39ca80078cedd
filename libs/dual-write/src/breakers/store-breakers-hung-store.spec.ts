import { createServer, type Server, type Socket } from 'node:net';
import { Client } from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { createPrismaClient, usersEntity } from '@dualwrite/example-domain';
import { PrismaStore, StoreUnavailableError, SupabaseStore, type StorePlugin } from '@dualwrite/stores';
import { supabaseTestSettings } from '@dualwrite/stores/testing';
import { eventually } from '@dualwrite/testing';
import { BreakerOpenError } from './breaker-open-error';
import { StoreBreakers } from './store-breakers';

// Real stores that hang, real timers: the call timeout must release the caller and open the breaker.

const primaryUrl = process.env['PRIMARY_DATABASE_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/dw_primary';

/** A TCP server that accepts connections, reads what it is sent and never answers. */
async function silentServer(): Promise<{ url: string; connections: () => number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let connections = 0;
  const server: Server = createServer((socket) => {
    connections += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.resume();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('no port');
  return {
    url: `http://127.0.0.1:${address.port}`,
    connections: () => connections,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Times the call from before it starts (its timeout's timer starts inside it). */
async function timedOutcome(call: () => Promise<unknown>): Promise<{ error: unknown; elapsedMs: number }> {
  const started = performance.now();
  const error = await call().then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  return { error, elapsedMs: performance.now() - started };
}

const user = () => {
  const id = uuidv7();
  return { id, email: `${id}@hung.test`, displayName: 'Hung' };
};

describe('StoreBreakers with a Supabase endpoint that accepts and never answers', () => {
  let endpoint: Awaited<ReturnType<typeof silentServer>>;
  let store: StorePlugin;

  beforeAll(async () => {
    endpoint = await silentServer();
    // The request timeout is far away: only the breaker's call timeout can release the caller here.
    store = new SupabaseStore({ ...supabaseTestSettings(), url: endpoint.url, databaseUrl: undefined, requestTimeoutMs: 60_000 });
  });

  afterAll(async () => {
    await store.close();
    await endpoint.close();
  });

  it('fails each call with StoreUnavailableError after callTimeoutMs, opens after the threshold, then refuses without calling', async () => {
    const breakers = new StoreBreakers({ settings: { callTimeoutMs: 300, failureThreshold: 3 } });

    for (let call = 1; call <= 3; call += 1) {
      const { error, elapsedMs } = await timedOutcome(() => breakers.execute(store.name, () => store.insert(usersEntity, user())));
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect(error).toMatchObject({ store: 'supabase', code: 'CALL_TIMEOUT', message: '[supabase] did not answer within 300 ms (call timeout); the call was given up' });
      expect(elapsedMs).toBeGreaterThanOrEqual(290);
      expect(elapsedMs).toBeLessThan(3_000);
      expect(breakers.state(store.name)).toMatchObject({ state: call < 3 ? 'closed' : 'open', failures: call });
    }
    const connectionsWhenOpen = endpoint.connections();
    expect(connectionsWhenOpen).toBeGreaterThanOrEqual(1);

    const refused = await timedOutcome(() => breakers.execute(store.name, () => store.insert(usersEntity, user())));

    expect(refused.error).toBeInstanceOf(BreakerOpenError);
    expect(refused.elapsedMs).toBeLessThan(100);
    expect(endpoint.connections()).toBe(connectionsWhenOpen);
  });
});

describe('StoreBreakers with PostgreSQL waiting on a lock (PrismaStore)', () => {
  const prisma = new PrismaStore(createPrismaClient(primaryUrl), { ownsClient: true });
  const locker = new Client({ connectionString: primaryUrl });
  let lockerPid: number;
  const locked = user();

  beforeAll(async () => {
    await prisma.insert(usersEntity, locked);
    await locker.connect();
    lockerPid = (await locker.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]?.pid ?? 0;
    await locker.query('begin');
    await locker.query('select id from users where id = $1 for update', [locked.id]);
  });

  afterAll(async () => {
    await locker.query('rollback').catch(() => undefined);
    await locker.end();
    await prisma.delete(usersEntity, locked.id).catch(() => undefined);
    await prisma.close();
  });

  it('releases the caller at callTimeoutMs; the statement_timeout then ends the statement on the database', async () => {
    const bounded = new PrismaStore(createPrismaClient(primaryUrl, { statementTimeoutMs: 1_500 }), { ownsClient: true });
    const observer = new Client({ connectionString: primaryUrl });
    await observer.connect();
    const blockedByLocker = async (): Promise<number> => {
      const { rows } = await observer.query<{ blocked: number }>('select count(*)::int as blocked from pg_stat_activity where $1 = any(pg_blocking_pids(pid))', [lockerPid]);
      return rows[0]?.blocked ?? 0;
    };
    try {
      const breakers = new StoreBreakers({ settings: { callTimeoutMs: 300 } });

      const { error, elapsedMs } = await timedOutcome(() =>
        breakers.execute(bounded.name, () => bounded.update(usersEntity, locked.id, { displayName: 'never written' })),
      );

      expect(error).toMatchObject({ store: 'prisma', code: 'CALL_TIMEOUT' });
      expect(elapsedMs).toBeLessThan(1_500);
      // The caller is gone; the database still waits on the lock until its own bound cancels the statement.
      expect(await blockedByLocker()).toBe(1);
      await eventually(async () => ((await blockedByLocker()) === 0 ? true : undefined), 5_000);
      expect(breakers.state(bounded.name).failures).toBe(1);
    } finally {
      await observer.end();
      await bounded.close();
    }
  });

  it('with statement_timeout under the call timeout, the database ends the call first (SQLSTATE 57014), counted as a failure', async () => {
    const bounded = new PrismaStore(createPrismaClient(primaryUrl, { statementTimeoutMs: 200 }), { ownsClient: true });
    try {
      const breakers = new StoreBreakers({ settings: { callTimeoutMs: 5_000, failureThreshold: 2 } });

      for (let call = 1; call <= 2; call += 1) {
        const { error, elapsedMs } = await timedOutcome(() =>
          breakers.execute(bounded.name, () => bounded.update(usersEntity, locked.id, { displayName: 'never written' })),
        );
        expect(error).toBeInstanceOf(StoreUnavailableError);
        expect(error).toMatchObject({ store: 'prisma', code: '57014' });
        expect(elapsedMs).toBeLessThan(2_000);
      }

      expect(breakers.state(bounded.name).state).toBe('open');
      await expect(bounded.get(usersEntity, locked.id)).resolves.toMatchObject({ displayName: 'Hung' });
    } finally {
      await bounded.close();
    }
  });
});
