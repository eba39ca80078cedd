import Redis from 'ioredis';
import { v7 as uuidv7 } from 'uuid';
import { StoreBreakers } from '../breakers/store-breakers';
import { StoreUnavailableError } from '@dualwrite/stores';
import { eventually } from '@dualwrite/testing';
import { BreakerStateBoard, BreakerStatePublisher } from './breaker-state-board';

const redisUrl = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

describe('BreakerStatePublisher', () => {
  let redis: Redis;
  const key = `dw-test:breakers:${uuidv7()}`;

  beforeAll(() => {
    redis = new Redis(redisUrl);
  });

  afterAll(async () => {
    await redis.del(key);
    await redis.quit();
  });


  it('publishes each state change with the time the breaker left closed, kept through open/half-open cycles, and leaves on stop', async () => {
    const breakers = new StoreBreakers({ stores: ['prisma', 'supabase'], settings: { failureThreshold: 1, halfOpenAfterMs: 50 } });
    const board = new BreakerStateBoard(redis, key);
    const publisher = new BreakerStatePublisher(breakers, board, { processId: 'spec-process' });
    const supabaseOnBoard = async () => (await board.read()).find((entry) => entry.store === 'supabase');
    const fail = () => breakers.execute('supabase', () => Promise.reject(new StoreUnavailableError('supabase', 'down', 'TEST'))).catch(() => undefined);
    publisher.start();
    try {
      await fail();
      const opened = await eventually(async () => {
        const entry = await supabaseOnBoard();
        return entry?.state === 'open' ? entry : undefined;
      });

      await new Promise((resolve) => setTimeout(resolve, 80));
      await fail(); // the half-open probe fails: open again, with a new `since`
      const reopened = await eventually(async () => {
        const entry = await supabaseOnBoard();
        return entry?.state === 'open' && entry.since > opened.since ? entry : undefined;
      });

      expect(opened.process).toBe('spec-process');
      expect(reopened.downSince).toEqual(opened.downSince);
      expect((await board.read()).find((entry) => entry.store === 'prisma')).toMatchObject({ state: 'closed', downSince: null });
    } finally {
      await publisher.stop();
    }
    expect(await redis.hkeys(key)).toEqual([]);
  });
});
