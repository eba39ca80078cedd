import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Redis from 'ioredis';
import { v7 as uuidv7 } from 'uuid';
import type { Alert } from './alert.types';
import { AlertNotifier } from './alert-notifier';

const redisUrl = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

function alert(rule: Alert['rule'], key: string = rule): Alert {
  return { rule, key, severity: 'warning', summary: `${rule} fired`, figures: { value: 11 }, mode: 'dual-primary-a', rollsBack: false };
}

/** A webhook receiver on a free local port, keeping each POST's JSON body. */
class Receiver {
  readonly bodies: Record<string, unknown>[] = [];
  readonly requests: string[] = [];
  status = 200;
  private readonly server: Server = createServer((request, response) => void this.receive(request, response));

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks/secret-token-123`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private async receive(request: IncomingMessage, response: import('node:http').ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    this.requests.push(`${request.method} ${request.headers['content-type']}`);
    this.bodies.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>);
    response.statusCode = this.status;
    response.end();
  }
}

describe('AlertNotifier', () => {
  let redis: Redis;
  let receiver: Receiver;
  let webhookUrl: string;
  const logged: string[] = [];
  const logger = { log: (message: string) => logged.push(message), warn: (message: string) => logged.push(message) };
  let activeKey: string;

  beforeAll(async () => {
    redis = new Redis(redisUrl);
    receiver = new Receiver();
    webhookUrl = await receiver.start();
  });

  beforeEach(() => {
    activeKey = `dw-test:alerts:active:${uuidv7()}`;
    receiver.bodies.length = 0;
    receiver.status = 200;
    logged.length = 0;
  });

  afterEach(async () => {
    await redis.del(activeKey);
  });

  afterAll(async () => {
    await receiver.stop();
    await redis.quit();
  });

  it('POSTs a new alert once as JSON and logs it', async () => {
    const notifier = new AlertNotifier({ redis, logger, webhookUrl, activeKey });

    const result = await notifier.notify([alert('unresolved-error-diffs')], new Date('2026-11-28T12:00:00.000Z'));

    expect(result.fired.map((fired) => fired.key)).toEqual(['unresolved-error-diffs']);
    expect(receiver.requests).toEqual(['POST application/json']);
    expect(receiver.bodies).toEqual([
      {
        type: 'alert',
        source: 'dual-write',
        rule: 'unresolved-error-diffs',
        key: 'unresolved-error-diffs',
        severity: 'warning',
        summary: 'unresolved-error-diffs fired',
        figures: { value: 11 },
        mode: 'dual-primary-a',
        rollsBack: false,
        firedAt: '2026-11-28T12:00:00.000Z',
      },
    ]);
    expect(logged).toEqual(['ALERT warning unresolved-error-diffs: unresolved-error-diffs fired']);
  });

  it('sends nothing for an alert still firing on the next run', async () => {
    const notifier = new AlertNotifier({ redis, logger, webhookUrl, activeKey });
    await notifier.notify([alert('unresolved-error-diffs')]);

    const repeat = await notifier.notify([alert('unresolved-error-diffs')]);

    expect(repeat).toMatchObject({ fired: [], repeated: ['unresolved-error-diffs'] });
    expect(receiver.bodies).toHaveLength(1);
  });

  it('sends an alert again after it cleared', async () => {
    const notifier = new AlertNotifier({ redis, logger, webhookUrl, activeKey });
    await notifier.notify([alert('unresolved-error-diffs')]);

    const cleared = await notifier.notify([]);
    await notifier.notify([alert('unresolved-error-diffs')]);

    expect(cleared.cleared).toEqual(['unresolved-error-diffs']);
    expect(receiver.bodies.map((body) => body['rule'])).toEqual(['unresolved-error-diffs', 'unresolved-error-diffs']);
    expect(logged).toContain('alert cleared: unresolved-error-diffs');
  });

  it('dedupes per key: a second store breaker is its own alert', async () => {
    const notifier = new AlertNotifier({ redis, logger, webhookUrl, activeKey });
    await notifier.notify([alert('breaker-open', 'breaker-open:supabase')]);

    await notifier.notify([alert('breaker-open', 'breaker-open:supabase'), alert('breaker-open', 'breaker-open:prisma')]);

    expect(receiver.bodies.map((body) => body['key'])).toEqual(['breaker-open:supabase', 'breaker-open:prisma']);
  });

  it('a webhook answering an error is tried again next run, and the log never shows the webhook URL', async () => {
    const notifier = new AlertNotifier({ redis, logger, webhookUrl, activeKey });
    receiver.status = 500;
    const failed = await notifier.notify([alert('both-stores-down')]);
    receiver.status = 200;
    const retried = await notifier.notify([alert('both-stores-down')]);

    expect(failed.fired).toEqual([]);
    expect(retried.fired.map((fired) => fired.key)).toEqual(['both-stores-down']);
    expect(receiver.bodies).toHaveLength(2);
    expect(logged.join('\n')).toContain('NOTIFICATION_WEBHOOK answered 500');
    expect(logged.join('\n')).not.toContain('secret-token-123');
  });

  it('an unreachable webhook is logged without its URL', async () => {
    const closed = new Receiver();
    const closedUrl = await closed.start();
    await closed.stop();
    const notifier = new AlertNotifier({ redis, logger, webhookUrl: closedUrl, activeKey });

    const result = await notifier.notify([alert('both-stores-down')]);

    expect(result.fired).toEqual([]);
    expect(logged.join('\n')).toContain('NOTIFICATION_WEBHOOK unreachable');
    expect(logged.join('\n')).not.toContain('secret-token-123');
  });

  it('without a webhook, alerts are logged only, still once', async () => {
    const notifier = new AlertNotifier({ redis, logger, activeKey });

    const first = await notifier.notify([alert('partial-failure-rate')]);
    const repeat = await notifier.notify([alert('partial-failure-rate')]);

    expect(first.fired).toHaveLength(1);
    expect(repeat.fired).toHaveLength(0);
    expect(logged).toEqual(['ALERT warning partial-failure-rate: partial-failure-rate fired']);
    expect(receiver.bodies).toEqual([]);
  });
});
