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

describe('store call bounds', () => {
  it('default to 10 s per store call (STORE_CALL_TIMEOUT_MS) beside the breaker thresholds', () => {
    expect(parsePlatformConfig(validEnvironment).breaker).toEqual({ failureThreshold: 3, windowMs: 300_000, halfOpenAfterMs: 60_000, callTimeoutMs: 10_000 });
  });

  it('take STORE_CALL_TIMEOUT_MS in milliseconds', () => {
    expect(parsePlatformConfig({ ...validEnvironment, STORE_CALL_TIMEOUT_MS: '2500' }).breaker.callTimeoutMs).toBe(2_500);
  });

  it.each(['0', '-1', '1.5', 'ten seconds'])('refuse STORE_CALL_TIMEOUT_MS=%s, naming the variable', (value) => {
    expect(() => parsePlatformConfig({ ...validEnvironment, STORE_CALL_TIMEOUT_MS: value })).toThrow(
      'Invalid configuration: STORE_CALL_TIMEOUT_MS must be a whole number of at least 1',
    );
  });
});

describe('worker settings', () => {
  it('defaults to the production queues, 4 replays at once, batches of 100 within 200 ms and 30 days of info diffs', () => {
    const config = parsePlatformConfig(validEnvironment);
    expect(config.queues).toEqual({ replay: 'dw-replay', diffs: 'dw-diffs', replayAttempts: 8 });
    expect(config.worker).toEqual({
      replayConcurrency: 4,
      diffBatchSize: 100,
      diffBatchWaitMs: 200,
      diffRetentionDays: 30,
      queueLockMs: 30_000,
      queueStalledIntervalMs: 30_000,
      stoppedProcessGraceMs: 60_000,
    });
  });

  it('takes over a stopped process\'s writes after DW_STOPPED_PROCESS_GRACE_MS, which must exceed STORE_CALL_TIMEOUT_MS', () => {
    expect(parsePlatformConfig({ ...validEnvironment, DW_STOPPED_PROCESS_GRACE_MS: '15000' }).worker.stoppedProcessGraceMs).toBe(15_000);
    expect(parsePlatformConfig({ ...validEnvironment, STORE_CALL_TIMEOUT_MS: '45000' }).worker.stoppedProcessGraceMs).toBe(90_000);
    expect(() => parsePlatformConfig({ ...validEnvironment, DW_STOPPED_PROCESS_GRACE_MS: 'a minute' })).toThrow(
      'Invalid configuration: DW_STOPPED_PROCESS_GRACE_MS must be a whole number of at least 1',
    );
    expect(() => parsePlatformConfig({ ...validEnvironment, DW_STOPPED_PROCESS_GRACE_MS: '10000' })).toThrow(
      'Invalid configuration: DW_STOPPED_PROCESS_GRACE_MS must be above STORE_CALL_TIMEOUT_MS (10000): a stopped process\'s store call may land for that long',
    );
  });

  it('names the variable of a malformed number', () => {
    expect(() => parsePlatformConfig({ ...validEnvironment, DIFF_RETENTION_DAYS: '0' })).toThrow(
      'Invalid configuration: DIFF_RETENTION_DAYS must be a whole number of at least 1',
    );
  });

  it('names the variable of a queue name BullMQ cannot use', () => {
    expect(() => parsePlatformConfig({ ...validEnvironment, DW_REPLAY_QUEUE: 'dw:replay' })).toThrow(
      'Invalid configuration: DW_REPLAY_QUEUE must be a queue name',
    );
  });
});

describe('settings the api and the worker share', () => {
  it('come from one variable each, read the same way by every process', () => {
    const config = parsePlatformConfig({
      ...validEnvironment,
      DW_REPLAY_QUEUE: 'replay-b',
      DW_DIFFS_QUEUE: 'diffs-b',
      DW_REPLAY_ATTEMPTS: '3',
      DW_REDIS_PREFIX: 'tenant:b',
    });
    expect(config.queues).toEqual({ replay: 'replay-b', diffs: 'diffs-b', replayAttempts: 3 });
    expect(config.redisKeyPrefix).toBe('tenant:b');
  });

  it('refuse a Redis key prefix with characters outside letters, digits and ":._-"', () => {
    expect(() => parsePlatformConfig({ ...validEnvironment, DW_REDIS_PREFIX: 'a b' })).toThrow('Invalid configuration: DW_REDIS_PREFIX must be letters');
  });
});

describe('alert settings', () => {
  it('default to the issue thresholds: 5 % secondary errors, 20 % p95 rise, 10 error diffs, 5 min open breaker, 10 % partial failures', () => {
    expect(parsePlatformConfig(validEnvironment).alerts).toEqual({
      thresholds: {
        secondaryErrorRate: 0.05,
        partialFailureRate: 0.1,
        minOpsForRates: 20,
        latencyIncrease: 0.2,
        minLatencySamples: 100,
        minLatencySpanMs: 60_000,
        unresolvedErrorDiffs: 10,
        breakerOpenMs: 300_000,
      },
      windowMs: 300_000,
      latencySampleSize: 1_000,
    });
    expect(parsePlatformConfig(validEnvironment).redisKeyPrefix).toBe('dw');
  });

  it('reads each threshold from its variable', () => {
    const config = parsePlatformConfig({ ...validEnvironment, DW_ALERT_SECONDARY_ERROR_RATE: '0.02', DW_ALERT_BREAKER_OPEN_MS: '60000', DW_ALERT_MIN_WRITES: '50' });

    expect(config.alerts.thresholds).toMatchObject({ secondaryErrorRate: 0.02, breakerOpenMs: 60_000, minOpsForRates: 50 });
  });

  it('names the variable of a malformed value', () => {
    expect(() => parsePlatformConfig({ ...validEnvironment, DW_ALERT_SECONDARY_ERROR_RATE: '5%' })).toThrow(
      'Invalid configuration: DW_ALERT_SECONDARY_ERROR_RATE must be a ratio between 0 and 1',
    );
    expect(() => parsePlatformConfig({ ...validEnvironment, DW_ALERT_WINDOW_MS: '0' })).toThrow(
      'Invalid configuration: DW_ALERT_WINDOW_MS must be a whole number of at least 1',
    );
  });
});

describe('backup settings', () => {
  it('default to store A backed up fully at 02:00, drilled on Sundays at 04:00, 7 fulls and 14 days kept, incrementals off', () => {
    expect(parsePlatformConfig(validEnvironment).backups).toEqual({
      queue: 'dw-backups',
      stores: ['a'],
      fullCron: '0 2 * * *',
      incrementalCron: null,
      drillCron: '0 4 * * 0',
      keepFull: 7,
      keepDays: 14,
    });
  });

  it('take both stores, an hourly incremental, and off for a schedule', () => {
    const backups = parsePlatformConfig({ ...validEnvironment, BACKUP_STORES: 'a,b', BACKUP_INCREMENTAL_CRON: '0 * * * *', BACKUP_DRILL_CRON: 'off' }).backups;
    expect(backups).toMatchObject({ stores: ['a', 'b'], incrementalCron: '0 * * * *', drillCron: null });
  });

  it('name a malformed cron expression and an unknown store', () => {
    expect(() => parsePlatformConfig({ ...validEnvironment, BACKUP_FULL_CRON: 'daily' })).toThrow('Invalid configuration: BACKUP_FULL_CRON must be a cron expression of 5 or 6 fields, or off');
    expect(() => parsePlatformConfig({ ...validEnvironment, BACKUP_STORES: 'c' })).toThrow('Invalid configuration: BACKUP_STORES must be a, b, a,b or off');
  });
});

describe('secondary sync gathering (SYNC_GATHER_MS)', () => {
  it('is left to the dual-write engine when unset (its default depends on SECONDARY_TIMEOUT_MS)', () => {
    expect(parsePlatformConfig(validEnvironment).syncGatherMs).toBeUndefined();
  });

  it('takes an explicit value, 0 included', () => {
    expect(parsePlatformConfig({ ...validEnvironment, SYNC_GATHER_MS: '0' }).syncGatherMs).toBe(0);
    expect(parsePlatformConfig({ ...validEnvironment, SECONDARY_TIMEOUT_MS: '250', SYNC_GATHER_MS: '5' }).syncGatherMs).toBe(5);
  });

  it.each(['-1', '2.5', '1001', 'soon'])('refuses SYNC_GATHER_MS=%s, naming the variable', (value) => {
    expect(errorFor({ ...validEnvironment, SYNC_GATHER_MS: value }).message).toContain('SYNC_GATHER_MS');
  });
});
