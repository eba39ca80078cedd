import path from 'node:path';
import Redis from 'ioredis';
import { v7 as uuidv7 } from 'uuid';
import {
  PrismaStore,
  SupabaseStore,
  checksumOfRows,
  copyRowsByKey,
  loadEnvFiles,
  loadPlatformConfigOrExit,
  type EntityDefinition,
  type PlatformConfig,
  type Row,
  type StorePlugin,
} from '@dualwrite/dual-write';
import { budgetsEntity, commentsEntity, createPrismaClient, postsEntity, usersEntity } from '@dualwrite/example-domain';
import { AppProcesses, isPortInUse, waitFor } from './app-processes';

/**
 * `npm run demo`: the guided scenario. Starts the api and the worker, checks the health of both stores and
 * Redis, writes rows through the example API (store A), copies them to store B through the Supabase plugin
 * and reads both sides back, row for row. Exits 0 when every step held.
 */
const root = path.resolve(__dirname, '..', '..', '..');
/** Key the worker refreshes every 10 s (apps/worker WorkerHeartbeatService). */
const WORKER_HEARTBEAT_KEY = 'dw:worker:heartbeat';

const say = (line: string) => process.stdout.write(`[demo] ${line}\n`);

class Api {
  constructor(
    private readonly baseUrl: string,
    private readonly adminToken: string,
  ) {}

  async request(method: string, route: string, body?: unknown): Promise<{ status: number; body: unknown }> {
    const response = await fetch(`${this.baseUrl}${route}`, {
      method,
      headers: { authorization: `Bearer ${this.adminToken}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as unknown) : null };
  }

  async expect(method: string, route: string, status: number, body?: unknown): Promise<Row> {
    const result = await this.request(method, route, body);
    if (result.status !== status) {
      throw new Error(`${method} ${route} answered ${result.status}, expected ${status}: ${JSON.stringify(result.body)}`);
    }
    return result.body as Row;
  }
}

function viewerToken(config: PlatformConfig): string {
  const token = config.adminTokens.find((entry) => entry.role === 'viewer') ?? config.adminTokens[0];
  if (!token) throw new Error('ADMIN_TOKENS has no token; the demo needs one to read /admin/health.');
  return token.token;
}

async function showHealth(api: Api): Promise<void> {
  const health = await api.request('GET', '/admin/health');
  const details = ((health.body as { details?: Record<string, Record<string, unknown>> }).details ?? {}) as Record<
    string,
    Record<string, unknown>
  >;
  say(`GET /admin/health → ${health.status}`);
  for (const [component, state] of Object.entries(details)) {
    const { status, ...rest } = state;
    say(`  ${component.padEnd(10)} ${String(status)} ${Object.keys(rest).length ? JSON.stringify(rest) : ''}`);
  }
  if (health.status !== 200) throw new Error('the api reports a component down; see above');
}

async function showWorker(redisUrl: string): Promise<void> {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    const heartbeat = await waitFor('worker heartbeat in Redis', async () => (await redis.get(WORKER_HEARTBEAT_KEY)) ?? undefined, 30_000);
    say(`worker heartbeat: ${heartbeat}`);
  } finally {
    redis.disconnect();
  }
}

/** Writes the example rows through the host API, which serves them from store A. */
async function writeThroughApi(api: Api): Promise<Record<string, Row[]>> {
  const user = await api.expect('POST', '/api/users', 201, { email: `demo-${uuidv7()}@example.test`, displayName: 'Demo User' });
  const ownerId = String(user['id']);
  const budget = await api.expect('POST', '/api/budgets', 201, {
    ownerId,
    name: 'Demo groceries',
    amount: '1234.50',
    currency: 'EUR',
    metadata: { tags: ['food'], limits: { weekly: 300 } },
  });
  const post = await api.expect('POST', '/api/posts', 201, { authorId: ownerId, title: 'Hello', body: 'First post', published: true });
  const comment = await api.expect('POST', '/api/comments', 201, { postId: post['id'], authorId: ownerId, body: 'Nice post' });
  await api.expect('PATCH', `/api/budgets/${String(budget['id'])}`, 200, { amount: '99.99' });
  const readBack = await api.expect('GET', `/api/budgets/${String(budget['id'])}`, 200);
  say(`api wrote user ${ownerId}, budget ${String(budget['id'])} (amount now ${String(readBack['amount'])}), post, comment #${String(comment['id'])}`);
  return { users: [user], budgets: [readBack], posts: [post], comments: [comment] };
}

/** Copies rows from store A to store B through the plugins and checks both sides hold the same rows. */
async function copyAndCompare(storeA: StorePlugin, storeB: StorePlugin, written: Record<string, Row[]>): Promise<void> {
  const entities: EntityDefinition[] = [usersEntity, budgetsEntity, postsEntity, commentsEntity];
  for (const entity of entities) {
    const ids = (written[entity.name] ?? []).map((row) => row[entity.primaryKey] as string | number);
    await copyRowsByKey(entity, ids, storeA, storeB);
    const fromA = await storeA.findManyByIds(entity, ids);
    const fromB = await storeB.findManyByIds(entity, ids);
    const same = fromA.length === ids.length && checksumOfRows(entity, fromA).checksum === checksumOfRows(entity, fromB).checksum;
    say(`  ${entity.name.padEnd(9)} ${storeA.name}: ${fromA.length} row(s)  ${storeB.name}: ${fromB.length} row(s)  ${same ? 'identical' : 'DIFFERENT'}`);
    if (!same) throw new Error(`${entity.name}: the stores hold different rows after the copy`);
  }
  const [countA, countB] = await Promise.all([storeA.count(budgetsEntity), storeB.count(budgetsEntity)]);
  say(`  budgets in total: ${storeA.name} ${countA}, ${storeB.name} ${countB}`);
}

async function main(): Promise<void> {
  loadEnvFiles(root);
  const config = loadPlatformConfigOrExit();
  if (await isPortInUse(config.apiPort)) {
    throw new Error(`port ${config.apiPort} (API_PORT) is taken; stop what runs there (\`npm start\`?) or set API_PORT`);
  }
  const apps = new AppProcesses();
  const storeA = new PrismaStore(createPrismaClient(config.primaryDatabaseUrl), { ownsClient: true });
  const storeB = config.supabase
    ? new SupabaseStore({ url: config.supabase.url, serviceRoleKey: config.supabase.serviceRoleKey, databaseUrl: config.supabase.dbUrl })
    : null;
  try {
    say('1. starting api and worker');
    apps.start('api', 'apps/api/src/main.ts');
    apps.start('worker', 'apps/worker/src/main.ts');
    const api = new Api(`http://127.0.0.1:${config.apiPort}`, viewerToken(config));
    await waitFor('api answering /health/live', async () => ((await fetch(`http://127.0.0.1:${config.apiPort}/health/live`)).ok ? true : undefined), 60_000);

    say('2. health of both stores and Redis');
    await showHealth(api);
    await showWorker(config.redisUrl);

    say('3. rows written and read through the example API (store A)');
    const written = await writeThroughApi(api);

    if (!storeB) {
      say('4. store B not configured (SUPABASE_URL empty): running degraded on store A only');
    } else {
      say(`4. the same rows copied through the ${storeB.name} plugin and compared`);
      await copyAndCompare(storeA, storeB, written);
    }
    say('done: both stores healthy, rows identical on both');
  } finally {
    await apps.stopAll();
    await storeA.close();
    await storeB?.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`[demo] failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
