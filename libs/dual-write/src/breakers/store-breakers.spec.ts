import { getEventListeners } from 'node:events';
// cockatiel's default signal for a policy run without one, shared by every call of the process.
import { neverAbortedSignal } from 'cockatiel/dist/common/abort';
import { StoreConflictError, StoreInvalidError, StoreNotFoundError, StoreUnavailableError } from '@dualwrite/stores';
import { BreakerOpenError } from './breaker-open-error';
import type { BreakerStateChange } from './breaker.types';
import { StoreBreakers } from './store-breakers';

// cockatiel reads Date.now() for its half-open timing, so the tests move a fake clock instead of sleeping.
// Promises and process.nextTick stay real.
const START = Date.parse('2026-03-01T12:00:00.000Z');

beforeEach(() => {
  jest.useFakeTimers({ now: START, doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
});

afterEach(() => {
  jest.useRealTimers();
});

const STORE = 'supabase';

function unavailable(): Promise<never> {
  return Promise.reject(new StoreUnavailableError(STORE, 'connection refused'));
}

async function failTimes(breakers: StoreBreakers, times: number, store = STORE): Promise<void> {
  for (let call = 0; call < times; call += 1) {
    await expect(breakers.execute(store, unavailable)).rejects.toBeInstanceOf(StoreUnavailableError);
  }
}

function recordChanges(breakers: StoreBreakers): Array<Pick<BreakerStateChange, 'store' | 'from' | 'to'>> {
  const changes: Array<Pick<BreakerStateChange, 'store' | 'from' | 'to'>> = [];
  breakers.onStateChange(({ store, from, to }) => changes.push({ store, from, to }));
  return changes;
}

async function openBreaker(breakers: StoreBreakers): Promise<void> {
  await failTimes(breakers, 3);
  expect(breakers.state(STORE).state).toBe('open');
}

describe('StoreBreakers: closed', () => {
  it('starts closed with the issue defaults and lists the configured stores', () => {
    const breakers = new StoreBreakers({ stores: ['prisma', 'supabase'] });
    expect(breakers.snapshot()).toEqual([
      expect.objectContaining({ store: 'prisma', state: 'closed', failures: 0, since: new Date(START) }),
      expect.objectContaining({
        store: 'supabase',
        state: 'closed',
        settings: { failureThreshold: 3, windowMs: 300_000, halfOpenAfterMs: 60_000, callTimeoutMs: 10_000 },
      }),
    ]);
  });

  it('passes results through', async () => {
    const breakers = new StoreBreakers();
    await expect(breakers.execute(STORE, () => 'row')).resolves.toBe('row');
  });

  it('stays closed after two failures and counts them', async () => {
    const breakers = new StoreBreakers();
    await failTimes(breakers, 2);
    expect(breakers.state(STORE)).toMatchObject({ state: 'closed', failures: 2 });
  });

  it('opens on the third failure within the window', async () => {
    const breakers = new StoreBreakers();
    const changes = recordChanges(breakers);
    await failTimes(breakers, 3);
    expect(breakers.state(STORE)).toMatchObject({
      state: 'open',
      failures: 3,
      since: new Date(START),
      halfOpenAt: new Date(START + 60_000),
    });
    expect(changes).toEqual([{ store: STORE, from: 'closed', to: 'open' }]);
  });

  it('counts failures within the window even when calls succeed in between', async () => {
    const breakers = new StoreBreakers();
    await failTimes(breakers, 1);
    await breakers.execute(STORE, () => 'ok');
    await failTimes(breakers, 1);
    await breakers.execute(STORE, () => 'ok');
    await failTimes(breakers, 1);
    expect(breakers.state(STORE).state).toBe('open');
  });

  it('forgets failures older than the rolling window', async () => {
    const breakers = new StoreBreakers();
    await failTimes(breakers, 2);
    jest.advanceTimersByTime(300_001);
    expect(breakers.state(STORE).failures).toBe(0);
    await failTimes(breakers, 1);
    expect(breakers.state(STORE)).toMatchObject({ state: 'closed', failures: 1 });
  });

  it.each([
    ['not_found', new StoreNotFoundError(STORE, 'no row')],
    ['conflict', new StoreConflictError(STORE, 'duplicate key', '23505')],
    ['invalid', new StoreInvalidError(STORE, 'check violation', '23514')],
    ['a programming error', new TypeError('cannot read properties of undefined')],
  ])('does not count %s and rethrows it unchanged', async (_label, error) => {
    const breakers = new StoreBreakers();
    for (let call = 0; call < 5; call += 1) {
      await expect(breakers.execute(STORE, () => Promise.reject(error))).rejects.toBe(error);
    }
    expect(breakers.state(STORE)).toMatchObject({ state: 'closed', failures: 0 });
  });

  it('counts network errors and timeouts', async () => {
    const breakers = new StoreBreakers();
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:54321'), { code: 'ECONNREFUSED' });
    const fetchFailed = new TypeError('fetch failed', { cause: refused });
    const timeout = new DOMException('The operation was aborted due to timeout', 'TimeoutError');
    for (const error of [refused, fetchFailed, timeout]) {
      await expect(breakers.execute(STORE, () => Promise.reject(error))).rejects.toBe(error);
    }
    expect(breakers.state(STORE).state).toBe('open');
  });

  it('keeps each store apart', async () => {
    const breakers = new StoreBreakers();
    await failTimes(breakers, 3, 'supabase');
    await expect(breakers.execute('prisma', () => 'row')).resolves.toBe('row');
    expect(breakers.snapshot().map(({ store, state }) => ({ store, state }))).toEqual([
      { store: 'supabase', state: 'open' },
      { store: 'prisma', state: 'closed' },
    ]);
  });

  it('applies per-store settings over the shared ones', async () => {
    const breakers = new StoreBreakers({ settings: { failureThreshold: 5 }, perStore: { prisma: { failureThreshold: 1 } } });
    await failTimes(breakers, 1, 'prisma');
    await failTimes(breakers, 3, 'supabase');
    expect(breakers.state('prisma').state).toBe('open');
    expect(breakers.state('supabase').state).toBe('closed');
  });
});

describe('StoreBreakers: call timeout', () => {
  /** A call that never answers, as a store that accepted the request and hangs. */
  const hang = (): Promise<string> => new Promise<string>(() => undefined);

  it('gives up a call after callTimeoutMs with a StoreUnavailableError naming the store and the timeout, and aborts its signal', async () => {
    const breakers = new StoreBreakers();
    let signal: AbortSignal | undefined;
    const call = breakers.execute(STORE, (given) => {
      signal = given;
      return hang();
    });
    const outcome = call.catch((thrown: unknown) => thrown);

    await jest.advanceTimersByTimeAsync(9_999);
    expect(signal?.aborted).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    const error = await outcome;

    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(error).not.toBeInstanceOf(BreakerOpenError);
    expect(error).toMatchObject({ store: STORE, kind: 'unavailable', code: 'CALL_TIMEOUT' });
    expect((error as Error).message).toBe('[supabase] did not answer within 10000 ms (call timeout); the call was given up');
    expect(signal?.aborted).toBe(true);
    expect(breakers.state(STORE).failures).toBe(1);
  });

  it('counts timeouts as failures: a hung store opens its breaker, and the next call is refused without reaching it', async () => {
    const breakers = new StoreBreakers({ settings: { callTimeoutMs: 500 } });
    const changes = recordChanges(breakers);
    for (let call = 0; call < 3; call += 1) {
      const outcome = breakers.execute(STORE, hang).catch((thrown: unknown) => thrown);
      await jest.advanceTimersByTimeAsync(500);
      await expect(outcome).resolves.toMatchObject({ code: 'CALL_TIMEOUT' });
    }
    const next = jest.fn(hang);

    await expect(breakers.execute(STORE, next)).rejects.toBeInstanceOf(BreakerOpenError);
    expect(next).not.toHaveBeenCalled();
    expect(changes).toEqual([{ store: STORE, from: 'closed', to: 'open' }]);
  });

  it('counts a timeout even when countsAsFailure would not', async () => {
    const breakers = new StoreBreakers({ settings: { callTimeoutMs: 100, failureThreshold: 1 }, countsAsFailure: () => false });
    const outcome = breakers.execute(STORE, hang).catch((thrown: unknown) => thrown);
    await jest.advanceTimersByTimeAsync(100);
    await expect(outcome).resolves.toBeInstanceOf(StoreUnavailableError);
    expect(breakers.state(STORE).state).toBe('open');
  });

  it('a probe that hangs opens the breaker again', async () => {
    const breakers = new StoreBreakers();
    await openBreaker(breakers);
    jest.advanceTimersByTime(60_000);
    const probe = breakers.execute(STORE, hang).catch((thrown: unknown) => thrown);
    expect(breakers.state(STORE).state).toBe('half_open');
    await jest.advanceTimersByTimeAsync(10_000);
    await expect(probe).resolves.toMatchObject({ code: 'CALL_TIMEOUT' });
    expect(breakers.state(STORE).state).toBe('open');
  });

  it('leaves a call that answers in time alone, and takes the timeout per store', async () => {
    const breakers = new StoreBreakers({ settings: { callTimeoutMs: 1_000 }, perStore: { prisma: { callTimeoutMs: 50 } } });
    const slowAnswer = breakers.execute(STORE, () => new Promise<string>((resolve) => setTimeout(() => resolve('row'), 900)));
    const prismaCall = breakers.execute('prisma', hang).catch((thrown: unknown) => thrown);
    await jest.advanceTimersByTimeAsync(900);
    await expect(slowAnswer).resolves.toBe('row');
    await expect(prismaCall).resolves.toMatchObject({ store: 'prisma', message: '[prisma] did not answer within 50 ms (call timeout); the call was given up' });
    expect(breakers.state(STORE).settings.callTimeoutMs).toBe(1_000);
  });

  it('runs many calls at once without piling listeners on cockatiel\'s one shared signal (Node warns past 10)', async () => {
    const breakers = new StoreBreakers({ settings: { failureThreshold: 100 } });
    const calls = Array.from({ length: 30 }, () => breakers.execute(STORE, hang).catch((thrown: unknown) => thrown));

    expect(getEventListeners(neverAbortedSignal, 'abort')).toHaveLength(0);
    await jest.advanceTimersByTimeAsync(10_000);
    await Promise.all(calls);
  });

  it.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY])('refuses a callTimeoutMs of %p', (callTimeoutMs) => {
    expect(() => new StoreBreakers({ stores: ['prisma'], settings: { callTimeoutMs } })).toThrow(
      `Breaker callTimeoutMs for store "prisma" must be a positive number of milliseconds, got ${callTimeoutMs}.`,
    );
  });
});

describe('StoreBreakers: open', () => {
  it('rejects fast with a BreakerOpenError naming the store, without calling the store', async () => {
    const breakers = new StoreBreakers();
    await openBreaker(breakers);
    jest.advanceTimersByTime(15_000);
    const call = jest.fn(() => 'row');
    const error = await breakers.execute(STORE, call).catch((thrown: unknown) => thrown);
    expect(call).not.toHaveBeenCalled();
    expect(error).toBeInstanceOf(BreakerOpenError);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(error).toMatchObject({ store: STORE, kind: 'unavailable', breakerState: 'open', retryAfterMs: 45_000 });
    expect((error as Error).message).toContain('[supabase]');
  });

  it('does not count its own rejections as failures', async () => {
    const breakers = new StoreBreakers();
    await openBreaker(breakers);
    await expect(breakers.execute(STORE, () => 'row')).rejects.toBeInstanceOf(BreakerOpenError);
    expect(breakers.state(STORE).failures).toBe(3);
  });
});

describe('StoreBreakers: half-open', () => {
  it('lets one probe through after the reset time, reporting half_open while it runs; success closes', async () => {
    const breakers = new StoreBreakers();
    await openBreaker(breakers);
    const changes = recordChanges(breakers);
    jest.advanceTimersByTime(60_000);
    let stateDuringProbe: string | undefined;
    await expect(
      breakers.execute(STORE, () => {
        stateDuringProbe = breakers.state(STORE).state;
        return 'row';
      }),
    ).resolves.toBe('row');
    expect(stateDuringProbe).toBe('half_open');
    expect(breakers.state(STORE)).toMatchObject({ state: 'closed', failures: 0 });
    expect(changes.map(({ from, to }) => `${from}→${to}`)).toEqual(['open→half_open', 'half_open→closed']);
  });

  it('still rejects just before the reset time', async () => {
    const breakers = new StoreBreakers();
    await openBreaker(breakers);
    jest.advanceTimersByTime(59_999);
    await expect(breakers.execute(STORE, () => 'row')).rejects.toBeInstanceOf(BreakerOpenError);
  });

  it('opens again when the probe fails, and waits a full reset time before the next probe', async () => {
    const breakers = new StoreBreakers();
    await openBreaker(breakers);
    const changes = recordChanges(breakers);
    jest.advanceTimersByTime(60_000);
    await expect(breakers.execute(STORE, unavailable)).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(breakers.state(STORE)).toMatchObject({ state: 'open', halfOpenAt: new Date(START + 120_000) });
    await expect(breakers.execute(STORE, () => 'row')).rejects.toBeInstanceOf(BreakerOpenError);
    expect(changes.map(({ from, to }) => `${from}→${to}`)).toEqual(['open→half_open', 'half_open→open']);
  });

  it('makes calls that arrive during the probe wait for its outcome', async () => {
    const breakers = new StoreBreakers();
    await openBreaker(breakers);
    jest.advanceTimersByTime(60_000);
    let finishProbe: (value: string) => void = () => undefined;
    const probe = breakers.execute(STORE, () => new Promise<string>((resolve) => (finishProbe = resolve)));
    const waiting = jest.fn(() => 'second');
    const second = breakers.execute(STORE, waiting);
    await Promise.resolve();
    expect(waiting).not.toHaveBeenCalled();
    finishProbe('first');
    await expect(Promise.all([probe, second])).resolves.toEqual(['first', 'second']);
  });

  it('closes when the probe gets a business answer (the store answered), with a clean failure count', async () => {
    const breakers = new StoreBreakers();
    await openBreaker(breakers);
    jest.advanceTimersByTime(60_000);
    const notFound = new StoreNotFoundError(STORE, 'no row');
    await expect(breakers.execute(STORE, () => Promise.reject(notFound))).rejects.toBe(notFound);
    expect(breakers.state(STORE)).toMatchObject({ state: 'closed', failures: 0 });
    await failTimes(breakers, 1);
    expect(breakers.state(STORE).state).toBe('closed');
  });
});

describe('StoreBreakers: operator actions', () => {
  it('reset closes an open breaker and forgets its failures', async () => {
    const breakers = new StoreBreakers();
    await openBreaker(breakers);
    const changes = recordChanges(breakers);
    jest.advanceTimersByTime(1_000);
    expect(breakers.reset(STORE)).toMatchObject({ state: 'closed', failures: 0, since: new Date(START + 1_000) });
    await expect(breakers.execute(STORE, () => 'row')).resolves.toBe('row');
    await failTimes(breakers, 2);
    expect(breakers.state(STORE).state).toBe('closed');
    expect(changes).toEqual([{ store: STORE, from: 'open', to: 'closed' }]);
  });

  it('reset of a closed breaker clears its failures without a state change', async () => {
    const breakers = new StoreBreakers();
    const changes = recordChanges(breakers);
    await failTimes(breakers, 2);
    expect(breakers.reset(STORE)).toMatchObject({ state: 'closed', failures: 0 });
    expect(changes).toEqual([]);
  });

  it('isolate holds the breaker open past the reset time, without calling the store', async () => {
    const breakers = new StoreBreakers();
    const changes = recordChanges(breakers);
    expect(breakers.isolate(STORE).state).toBe('isolated');
    jest.advanceTimersByTime(3_600_000);
    const call = jest.fn(() => 'row');
    await expect(breakers.execute(STORE, call)).rejects.toMatchObject({
      name: 'BreakerOpenError',
      store: STORE,
      breakerState: 'isolated',
      retryAfterMs: undefined,
    });
    expect(call).not.toHaveBeenCalled();
    expect(changes).toEqual([{ store: STORE, from: 'closed', to: 'isolated' }]);
  });

  it('isolate twice needs one release; release closes', async () => {
    const breakers = new StoreBreakers();
    breakers.isolate(STORE);
    breakers.isolate(STORE);
    expect(breakers.release(STORE).state).toBe('closed');
    await expect(breakers.execute(STORE, () => 'row')).resolves.toBe('row');
  });

  it('isolate takes over an open breaker', async () => {
    const breakers = new StoreBreakers();
    await openBreaker(breakers);
    breakers.isolate(STORE);
    jest.advanceTimersByTime(60_000);
    await expect(breakers.execute(STORE, () => 'row')).rejects.toMatchObject({ breakerState: 'isolated' });
  });

  it('reset ends an isolation', async () => {
    const breakers = new StoreBreakers();
    const changes = recordChanges(breakers);
    breakers.isolate(STORE);
    expect(breakers.reset(STORE).state).toBe('closed');
    await expect(breakers.execute(STORE, () => 'row')).resolves.toBe('row');
    expect(breakers.release(STORE).state).toBe('closed');
    expect(changes.map(({ from, to }) => `${from}→${to}`)).toEqual(['closed→isolated', 'isolated→closed']);
  });

  it('release of a breaker that is not isolated changes nothing', async () => {
    const breakers = new StoreBreakers();
    await openBreaker(breakers);
    expect(breakers.release(STORE).state).toBe('open');
  });
});

describe('StoreBreakers: listeners', () => {
  it('reports the time of each change', async () => {
    const breakers = new StoreBreakers();
    const changes: BreakerStateChange[] = [];
    breakers.onStateChange((change) => changes.push(change));
    jest.advanceTimersByTime(5_000);
    await failTimes(breakers, 3);
    expect(changes).toEqual([{ store: STORE, from: 'closed', to: 'open', at: new Date(START + 5_000) }]);
  });

  it('stops calling a disposed listener', async () => {
    const breakers = new StoreBreakers();
    const listener = jest.fn();
    breakers.onStateChange(listener).dispose();
    await failTimes(breakers, 3);
    expect(listener).not.toHaveBeenCalled();
  });

  it('keeps working when a listener throws', async () => {
    const breakers = new StoreBreakers();
    breakers.onStateChange(() => {
      throw new Error('metrics exporter broke');
    });
    await failTimes(breakers, 3);
    expect(breakers.state(STORE).state).toBe('open');
  });
});

describe('StoreBreakers: snapshot', () => {
  it('keeps the stores in their order across a reset', async () => {
    const breakers = new StoreBreakers({ stores: ['prisma', 'supabase'] });
    breakers.reset('prisma');
    expect(breakers.snapshot().map(({ store }) => store)).toEqual(['prisma', 'supabase']);
  });
});
