import request from 'supertest';
import { v7 as uuidv7 } from 'uuid';
import { CLOSED_PORT_PRIMARY_ENV, DEGRADED_ENV, testConfig } from '../testing/test-config';
import { startTestApiApp, type TestApiApp } from '../testing/test-api-app';
import { STORE_UNAVAILABLE_RETRY_AFTER_SECONDS } from './store-error.filter';

describe('store A unavailable', () => {
  let api: TestApiApp;

  beforeAll(async () => {
    api = await startTestApiApp(testConfig({ ...DEGRADED_ENV, ...CLOSED_PORT_PRIMARY_ENV }));
  });
  afterAll(() => api.close());

  it('answers 503 with Retry-After and the store named', async () => {
    const response = await request(api.server).get(`/api/budgets/${uuidv7()}`);

    expect(response.status).toBe(503);
    expect(response.headers['retry-after']).toBe(String(STORE_UNAVAILABLE_RETRY_AFTER_SECONDS));
    expect(response.body).toMatchObject({ statusCode: 503, error: 'Service Unavailable', kind: 'unavailable', store: 'prisma' });
  });

  it('answers 503 for a write too, leaving the process serving', async () => {
    const write = await request(api.server)
      .post('/api/budgets')
      .send({ ownerId: uuidv7(), name: 'Unwritten', amount: 1, currency: 'EUR' });
    const live = await request(api.server).get('/health/live');

    expect(write.status).toBe(503);
    expect(live.status).toBe(200);
  });
});
