import { ConfigError, parsePlatformConfig } from './platform-config';

const validEnvironment = {
  PRIMARY_DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/dw_primary',
  SUPABASE_URL: 'http://127.0.0.1:54321',
  SUPABASE_SERVICE_ROLE_KEY: 'service-role-key-long-enough-for-the-check',
  SUPABASE_DB_URL: 'postgresql://postgres@127.0.0.1:5432/dw_supabase',
  REDIS_URL: 'redis://127.0.0.1:6379',
  ADMIN_TOKENS: 'viewer:viewer-token-0123456789,admin:admin-token-0123456789',
};

function errorFor(environment: Record<string, string | undefined>): ConfigError {
  try {
    parsePlatformConfig(environment);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('platform configuration', () => {
  it('parses a complete environment with defaults for optional values', () => {
    const config = parsePlatformConfig(validEnvironment);
    expect(config.supabase).toEqual({
      url: 'http://127.0.0.1:54321',
      serviceRoleKey: validEnvironment.SUPABASE_SERVICE_ROLE_KEY,
      anonKey: undefined,
      dbUrl: validEnvironment.SUPABASE_DB_URL,
    });
    expect(config.adminTokens).toEqual([
      { role: 'viewer', token: 'viewer-token-0123456789' },
      { role: 'admin', token: 'admin-token-0123456789' },
    ]);
    expect(config.flagCacheTtlMs).toBe(5000);
    expect(config.rollbackEnabled).toBe(true);
  });

  it('names a missing required variable', () => {
    const error = errorFor({ ...validEnvironment, REDIS_URL: undefined });
    expect(error.variable).toBe('REDIS_URL');
    expect(error.message).toBe('Invalid configuration: REDIS_URL is missing (see .env.example)');
  });

  it('names a malformed variable and says what shape it must have', () => {
    const error = errorFor({ ...validEnvironment, PRIMARY_DATABASE_URL: 'mysql://somewhere' });
    expect(error.message).toBe('Invalid configuration: PRIMARY_DATABASE_URL must be a postgresql:// connection string');
  });

  it('rejects an admin token entry with an unknown role', () => {
    const error = errorFor({ ...validEnvironment, ADMIN_TOKENS: 'root:some-token-0123456789' });
    expect(error.variable).toBe('ADMIN_TOKENS');
    expect(error.message).toContain('role one of viewer|operator|admin');
  });

  it('rejects a non-numeric FLAG_CACHE_TTL_MS', () => {
    expect(errorFor({ ...validEnvironment, FLAG_CACHE_TTL_MS: 'soon' }).variable).toBe('FLAG_CACHE_TTL_MS');
  });

  it('runs degraded on store A only when the Supabase settings are empty', () => {
    const config = parsePlatformConfig({ ...validEnvironment, SUPABASE_URL: '', SUPABASE_SERVICE_ROLE_KEY: '' });
    expect(config.supabase).toBeNull();
  });

  it('refuses a Supabase URL without its service-role key', () => {
    const error = errorFor({ ...validEnvironment, SUPABASE_SERVICE_ROLE_KEY: '' });
    expect(error.variable).toBe('SUPABASE_SERVICE_ROLE_KEY');
    expect(error.message).toContain('is missing while SUPABASE_URL is set');
  });

  it('never puts a secret value into the error message', () => {
    const error = errorFor({ ...validEnvironment, ADMIN_TOKENS: 'admin:short' });
    expect(error.message).not.toContain('short');
  });
});
