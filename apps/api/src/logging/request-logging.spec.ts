import request from 'supertest';
import { DEGRADED_ENV, adminTokenFor, bearer, testConfig } from '../testing/test-config';
import { startTestApiApp, type TestApiApp } from '../testing/test-api-app';

const config = testConfig(DEGRADED_ENV);

function requestLines(api: TestApiApp, url: string): Record<string, unknown>[] {
  return api.logs.lines().filter((line) => (line['req'] as { url?: string } | undefined)?.url?.startsWith(url));
}

describe('request logging', () => {
  let api: TestApiApp;

  beforeAll(async () => {
    api = await startTestApiApp(config);
  });
  afterAll(() => api.close());

  it('logs a request with a valid bearer token as JSON without the token', async () => {
    const token = adminTokenFor(config, 'viewer');

    await request(api.server).get('/admin/health').set(bearer(token)).set('Cookie', 'session=cookie-value-123');

    const [line] = requestLines(api, '/admin/health');
    expect(line).toMatchObject({ msg: 'request completed', req: { headers: { authorization: '[Redacted]', cookie: '[Redacted]' } } });
    expect(api.logs.text()).not.toContain(token);
    expect(api.logs.text()).not.toContain('cookie-value-123');
  });

  it('logs a rejected token without printing it', async () => {
    const wrongToken = `not-a-real-token-${Date.now()}`;

    await request(api.server).get('/admin/health?probe=wrong').set(bearer(wrongToken)).set('apikey', 'sb-apikey-value-456');

    expect(requestLines(api, '/admin/health?probe=wrong')).toHaveLength(1);
    expect(api.logs.text()).not.toContain(wrongToken);
    expect(api.logs.text()).not.toContain('sb-apikey-value-456');
  });

  it('redacts a token passed in the query string', async () => {
    const queryToken = `query-token-${Date.now()}`;

    await request(api.server).get(`/health/live?access_token=${queryToken}`);

    expect(requestLines(api, '/health/live')).toHaveLength(1);
    expect(api.logs.text()).not.toContain(queryToken);
  });
});
