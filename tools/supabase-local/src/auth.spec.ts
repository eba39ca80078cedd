import { authenticate } from './auth';
import { signKey } from './spec-target';

describe('supabase-local token checks', () => {
  const secret = 'auth-spec-secret-of-at-least-32-characters';

  afterEach(() => jest.useRealTimers());

  it('a token verified once is still refused once it has expired', () => {
    jest.useFakeTimers({ now: new Date('2026-11-28T10:00:00Z') });
    const token = signKey(secret, { role: 'service_role', exp: Math.floor(Date.now() / 1000) + 60 });

    expect(authenticate({ apikey: token }, secret).role).toBe('service_role');

    jest.setSystemTime(new Date('2026-11-28T10:01:01Z'));
    expect(() => authenticate({ apikey: token }, secret)).toThrow(expect.objectContaining({ status: 401, code: 'PGRST303' }));
  });

  it('a token verified with one secret is not taken on another secret', () => {
    const token = signKey(secret, { role: 'service_role' });
    expect(authenticate({ apikey: token }, secret).role).toBe('service_role');

    expect(() => authenticate({ apikey: token }, `${secret}-other`)).toThrow(expect.objectContaining({ code: 'PGRST301' }));
  });
});
