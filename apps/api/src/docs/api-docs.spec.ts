import request from 'supertest';
import { DEGRADED_ENV, testConfig } from '../testing/test-config';
import { startTestApiApp, type TestApiApp } from '../testing/test-api-app';

describe('OpenAPI docs', () => {
  let api: TestApiApp;

  beforeAll(async () => {
    api = await startTestApiApp(testConfig(DEGRADED_ENV));
  });
  afterAll(() => api.close());

  it('serves the JSON document at /admin/docs-json listing the routes and bearer auth', async () => {
    const response = await request(api.server).get('/admin/docs-json');

    expect(response.status).toBe(200);
    expect(Object.keys(response.body.paths)).toEqual(
      expect.arrayContaining(['/admin/health', '/health/live', '/api/{entity}', '/api/{entity}/{id}']),
    );
    expect(response.body.components.securitySchemes).toEqual({ bearer: expect.objectContaining({ type: 'http', scheme: 'bearer' }) });
    expect(response.body.paths['/admin/health'].get.security).toEqual([{ bearer: [] }]);
  });

  it('serves the Swagger UI at /admin/docs', async () => {
    const response = await request(api.server).get('/admin/docs');

    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toContain('text/html');
  });
});
