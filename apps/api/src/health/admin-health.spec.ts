import request from 'supertest';
import { CLOSED_PORT_PRIMARY_ENV, DEGRADED_ENV, adminTokenFor, bearer, testConfig } from '../testing/test-config';
import { startTestApiApp, type TestApiApp } from '../testing/test-api-app';

describe('GET /admin/health', () => {
  describe('with both stores configured', () => {
    const config = testConfig();
    let api: TestApiApp;

    beforeAll(async () => {
      api = await startTestApiApp(config);
    });
    afterAll(() => api.close());

    it('reports store A, store B and Redis up', async () => {
      const response = await request(api.server).get('/admin/health').set(bearer(adminTokenFor(config, 'viewer')));

      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({
        status: 'ok',
        degraded: false,
        details: {
          storeA: { status: 'up', store: 'prisma' },
          storeB: { status: 'up', store: 'supabase' },
          redis: { status: 'up' },
        },
      });
    });
  });

  describe('without Supabase settings (degraded)', () => {
    const config = testConfig(DEGRADED_ENV);
    let api: TestApiApp;

    beforeAll(async () => {
      api = await startTestApiApp(config);
    });
    afterAll(() => api.close());

    it('stays ok and says store B is not configured', async () => {
      const response = await request(api.server).get('/admin/health').set(bearer(adminTokenFor(config, 'viewer')));

      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({
        status: 'ok',
        degraded: true,
        details: {
          storeA: { status: 'up' },
          storeB: { status: 'up', configured: false, degraded: true, message: expect.stringContaining('not configured') },
          redis: { status: 'up' },
        },
      });
    });

    it('logs at start that it runs degraded', () => {
      const warning = api.logs.lines().find((line) => String(line['msg']).includes('store B (Supabase) not configured'));

      expect(warning).toMatchObject({ level: 40 });
    });
  });

  describe('with store A on a closed port', () => {
    const config = testConfig({ ...DEGRADED_ENV, ...CLOSED_PORT_PRIMARY_ENV });
    let api: TestApiApp;

    beforeAll(async () => {
      api = await startTestApiApp(config);
    });
    afterAll(() => api.close());

    it('answers 503 naming store A as down', async () => {
      const response = await request(api.server).get('/admin/health').set(bearer(adminTokenFor(config, 'viewer')));

      expect(response.status).toBe(503);
      expect(response.body).toMatchObject({
        status: 'error',
        error: { storeA: { status: 'down', message: expect.any(String) } },
        info: { redis: { status: 'up' } },
      });
    });

    it('keeps serving: liveness still answers after the failed check', async () => {
      await request(api.server).get('/admin/health').set(bearer(adminTokenFor(config, 'viewer')));

      const response = await request(api.server).get('/health/live');

      expect(response.status).toBe(200);
    });
  });
});

describe('GET /admin/health with Redis on a closed port', () => {
  const config = testConfig({ ...DEGRADED_ENV, REDIS_URL: 'redis://127.0.0.1:1' });
  let api: TestApiApp;

  beforeAll(async () => {
    api = await startTestApiApp(config);
  });
  afterAll(() => api.close());

  it('answers 503 naming Redis as down while store A is up', async () => {
    const response = await request(api.server).get('/admin/health').set(bearer(adminTokenFor(config, 'viewer')));

    expect(response.status).toBe(503);
    expect(response.body).toMatchObject({
      status: 'error',
      error: { redis: { status: 'down', message: expect.any(String) } },
      info: { storeA: { status: 'up' } },
    });
  });
});

describe('GET /health/live', () => {
  it('answers without a token', async () => {
    const api = await startTestApiApp(testConfig(DEGRADED_ENV));
    try {
      const response = await request(api.server).get('/health/live');

      expect(response.status).toBe(200);
      expect(response.body).toEqual({ status: 'ok' });
    } finally {
      await api.close();
    }
  });
});
