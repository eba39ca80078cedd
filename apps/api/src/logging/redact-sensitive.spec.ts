import { REDACTED, redactSensitiveFields, redactUrl } from './redact-sensitive';

describe('redactSensitiveFields', () => {
  it('replaces token, key, password and secret fields at any depth', () => {
    const logged = {
      apiKey: 'k-1',
      nested: { dbPassword: 'p-1', list: [{ refreshToken: 't-1', name: 'kept' }] },
      clientSecret: 's-1',
      store: 'prisma',
    };

    expect(redactSensitiveFields(logged)).toEqual({
      apiKey: REDACTED,
      nested: { dbPassword: REDACTED, list: [{ refreshToken: REDACTED, name: 'kept' }] },
      clientSecret: REDACTED,
      store: 'prisma',
    });
  });

  it('replaces authorization, apikey and cookie headers', () => {
    const headers = { authorization: 'Bearer a', apikey: 'b', cookie: 'c=d', 'set-cookie': 'e', accept: '*/*' };

    expect(redactSensitiveFields(headers)).toEqual({
      authorization: REDACTED,
      apikey: REDACTED,
      cookie: REDACTED,
      'set-cookie': REDACTED,
      accept: '*/*',
    });
  });

  it('leaves class instances such as errors to their serializers', () => {
    const error = new Error('boom');

    const redacted = redactSensitiveFields({ err: error }) as { err: unknown };

    expect(redacted.err).toBe(error);
  });
});

describe('redactUrl', () => {
  it('replaces the values of sensitive query parameters only', () => {
    expect(redactUrl('/api/budgets?limit=2&access_token=abc&after=x')).toBe(
      `/api/budgets?limit=2&access_token=${REDACTED}&after=x`,
    );
  });
});
