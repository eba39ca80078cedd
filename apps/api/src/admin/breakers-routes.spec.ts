import request from 'supertest';
import { StoreBreakers } from '@dualwrite/dual-write';
import { adminTokenFor, bearer, testConfig } from '../testing/test-config';
import { startTestApiApp, type TestApiApp } from '../testing/test-api-app';

const config = testConfig();
const asViewer = bearer(adminTokenFor(config, 'viewer'));
const asOperator = bearer(adminTokenFor(config, 'operator'));
let api: TestApiApp;

beforeAll(async () => {
  api = await startTestApiApp(config);
});
afterAll(() => api.close());

describe('GET /admin/breakers', () => {
  it("shows this process's breaker per store with its settings", async () => {
    const response = await request(api.server).get('/admin/breakers').set(asViewer);

    expect(response.status).toBe(200);
    expect(response.body).toEqual([
      expect.objectContaining({ store: 'prisma', state: 'closed', failures: 0, settings: config.breaker }),
      expect.objectContaining({ store: 'supabase', state: 'closed', failures: 0, settings: config.breaker }),
    ]);
  });

  it('shows a store an operator took out (isolated)', async () => {
    api.app.get(StoreBreakers).isolate('supabase');
    try {
      const response = await request(api.server).get('/admin/breakers').set(asViewer);

      expect(response.body).toContainEqual(expect.objectContaining({ store: 'supabase', state: 'isolated' }));
    } finally {
      api.app.get(StoreBreakers).reset('supabase');
    }
  });
});

describe('POST /admin/breakers/:store/reset', () => {
  it('as operator closes an isolated breaker and answers its new state', async () => {
    api.app.get(StoreBreakers).isolate('supabase');

    const response = await request(api.server).post('/admin/breakers/supabase/reset').set(asOperator);

    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ store: 'supabase', state: 'closed', failures: 0 });
    expect(api.app.get(StoreBreakers).state('supabase').state).toBe('closed');
  });

  it('refuses a viewer with 403 and leaves the breaker as it is', async () => {
    api.app.get(StoreBreakers).isolate('supabase');
    try {
      const response = await request(api.server).post('/admin/breakers/supabase/reset').set(asViewer);

      expect(response.status).toBe(403);
      expect(api.app.get(StoreBreakers).state('supabase').state).toBe('isolated');
    } finally {
      api.app.get(StoreBreakers).reset('supabase');
    }
  });

  it('answers 404 naming the known stores for an unknown store, and creates no breaker for it', async () => {
    const response = await request(api.server).post('/admin/breakers/oracle/reset').set(asOperator);

    expect(response.status).toBe(404);
    expect(response.body.message).toBe('No breaker for store "oracle"; known stores: prisma, supabase.');
    expect(api.app.get(StoreBreakers).snapshot().map((breaker) => breaker.store)).toEqual(['prisma', 'supabase']);
  });
});
