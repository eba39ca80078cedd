import { z } from 'zod';

const postgresUrl = z
  .string()
  .refine((value) => /^postgres(ql)?:\/\/.+/.test(value), 'must be a postgresql:// connection string');
const redisUrl = z.string().refine((value) => /^rediss?:\/\/.+/.test(value), 'must be a redis:// URL');
const httpUrl = z.string().refine((value) => /^https?:\/\/[^\s]+$/.test(value), 'must be an http(s):// URL');
const emptyAsUndefined = (value: unknown) => (value === '' ? undefined : value);
const optional = <T extends z.ZodType>(schema: T) => z.preprocess(emptyAsUndefined, schema.optional());
const integer = (fallback: number) =>
  z.preprocess(emptyAsUndefined, z.coerce.number().int('must be an integer').nonnegative('must be >= 0').default(fallback));
const ratio = (fallback: number) =>
  z.preprocess(emptyAsUndefined, z.coerce.number().min(0, 'must be between 0 and 1').max(1, 'must be between 0 and 1').default(fallback));
const wholeNumberText = z
  .string()
  .regex(/^\d+$/, 'must be a whole number of at least 1')
  .transform(Number)
  .refine((value) => value >= 1, 'must be a whole number of at least 1');
const wholeNumber = (fallback: number) => z.preprocess(emptyAsUndefined, wholeNumberText.default(fallback));
const thresholdRatio = (fallback: number) =>
  z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .regex(/^\d*\.?\d+$/, 'must be a ratio between 0 and 1, e.g. 0.05 for 5 %')
      .transform(Number)
      .refine((value) => value <= 1, 'must be a ratio between 0 and 1, e.g. 0.05 for 5 %')
      .default(fallback),
  );
const queueName = (fallback: string) =>
  z.preprocess(
    emptyAsUndefined,
    z.string().regex(/^[A-Za-z0-9._-]+$/, 'must be a queue name of letters, digits, ".", "_" or "-"').default(fallback),
  );
/** A cron expression (5 or 6 fields) or `off`; `off` becomes null. */
const cronOrOff = (fallback: string) =>
  z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .refine((value) => value === 'off' || /^[0-9*/,?LW#A-Za-z-]+( +[0-9*/,?LW#A-Za-z-]+){4,5}$/.test(value.trim()), 'must be a cron expression of 5 or 6 fields, or off')
      .default(fallback)
      .transform((value) => (value === 'off' ? null : value.trim())),
  );
const backupStores = z.preprocess(
  emptyAsUndefined,
  z
    .string()
    .regex(/^(a|b|off)(,(a|b))*$/, 'must be a, b, a,b or off')
    .default('a')
    .transform((value): ('a' | 'b')[] => (value === 'off' ? [] : [...new Set(value.split(','))] as ('a' | 'b')[])),
);
const booleanFlag = (fallback: boolean) =>
  z.preprocess(
    emptyAsUndefined,
    z
      .enum(['true', 'false', '1', '0'], { message: 'must be true or false' })
      .default(fallback ? 'true' : 'false')
      .transform((value) => value === 'true' || value === '1'),
  );

export const ADMIN_ROLES = ['viewer', 'operator', 'admin'] as const;
export type AdminRole = (typeof ADMIN_ROLES)[number];

export interface AdminToken {
  role: AdminRole;
  token: string;
}

const adminTokens = z.string().transform((value, ctx): AdminToken[] => {
  const tokens: AdminToken[] = [];
  for (const pair of value.split(',').map((part) => part.trim()).filter(Boolean)) {
    const separator = pair.indexOf(':');
    const role = pair.slice(0, separator);
    const token = pair.slice(separator + 1);
    if (separator < 1 || !(ADMIN_ROLES as readonly string[]).includes(role) || token.length < 16) {
      ctx.addIssue({
        code: 'custom',
        message: `each entry must be role:token with role one of ${ADMIN_ROLES.join('|')} and a token of at least 16 characters`,
      });
      return z.NEVER;
    }
    tokens.push({ role: role as AdminRole, token });
  }
  if (tokens.length === 0) {
    ctx.addIssue({ code: 'custom', message: 'must name at least one role:token pair' });
    return z.NEVER;
  }
  return tokens;
});

const environmentSchema = z.object({
  PRIMARY_DATABASE_URL: postgresUrl,
  CONTROL_DATABASE_URL: optional(postgresUrl),
  SUPABASE_URL: optional(httpUrl),
  SUPABASE_SERVICE_ROLE_KEY: optional(z.string().min(20, 'must be a Supabase API key')),
  SUPABASE_ANON_KEY: optional(z.string().min(20, 'must be a Supabase API key')),
  SUPABASE_DB_URL: optional(postgresUrl),
  SUPABASE_LOCAL_PORT: integer(54321),
  SUPABASE_JWT_SECRET: optional(z.string().min(32, 'must be at least 32 characters')),
  REDIS_URL: redisUrl,
  ADMIN_TOKENS: adminTokens,
  API_PORT: integer(3000),
  LOG_LEVEL: z.preprocess(
    emptyAsUndefined,
    z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  ),
  BACKUP_STORAGE_PATH: z.preprocess(emptyAsUndefined, z.string().default('./backups')),
  MIGRATION_TIMEOUT: integer(300_000),
  ROLLBACK_ENABLED: booleanFlag(true),
  NOTIFICATION_WEBHOOK: optional(httpUrl),
  FLAG_CACHE_TTL_MS: integer(5000),
  SECONDARY_TIMEOUT_MS: integer(0),
  SYNC_GATHER_MS: optional(z.coerce.number().int('must be an integer').nonnegative('must be >= 0').max(1000, 'must be at most 1000')),
  SHADOW_READ_RATE: ratio(1),
  BATCH_INSERTS: booleanFlag(true),
  BREAKER_FAILURE_THRESHOLD: integer(3),
  BREAKER_WINDOW_MS: integer(300_000),
  BREAKER_HALF_OPEN_AFTER_MS: integer(60_000),
  STORE_CALL_TIMEOUT_MS: wholeNumber(10_000),
  // Shared by the api (producers) and the worker (consumers): both read them from here.
  DW_REPLAY_QUEUE: queueName('dw-replay'),
  DW_DIFFS_QUEUE: queueName('dw-diffs'),
  DW_REPLAY_ATTEMPTS: wholeNumber(8),
  DW_REDIS_PREFIX: z.preprocess(
    emptyAsUndefined,
    z.string().regex(/^[A-Za-z0-9:._-]+$/, 'must be letters, digits, ":", ".", "_" or "-"').default('dw'),
  ),
  // The worker's own.
  DW_REPLAY_CONCURRENCY: wholeNumber(4),
  DW_DIFF_BATCH_SIZE: wholeNumber(100),
  DW_DIFF_BATCH_WAIT_MS: wholeNumber(200),
  DIFF_RETENTION_DAYS: wholeNumber(30),
  DW_QUEUE_LOCK_MS: wholeNumber(30_000),
  DW_QUEUE_STALLED_INTERVAL_MS: wholeNumber(30_000),
  DW_STOPPED_PROCESS_GRACE_MS: optional(wholeNumberText),
  // The worker's alert rules (every minute).
  DW_ALERT_SECONDARY_ERROR_RATE: thresholdRatio(0.05),
  DW_ALERT_PARTIAL_FAILURE_RATE: thresholdRatio(0.1),
  DW_ALERT_MIN_WRITES: wholeNumber(20),
  DW_ALERT_LATENCY_INCREASE: thresholdRatio(0.2),
  DW_ALERT_MIN_LATENCY_SAMPLES: wholeNumber(100),
  DW_ALERT_MIN_LATENCY_SPAN_MS: wholeNumber(60_000),
  DW_ALERT_UNRESOLVED_ERROR_DIFFS: wholeNumber(10),
  DW_ALERT_BREAKER_OPEN_MS: wholeNumber(300_000),
  DW_ALERT_WINDOW_MS: wholeNumber(300_000),
  DW_ALERT_LATENCY_SAMPLE: wholeNumber(1_000),
  // Phase gates: the oldest a clean reconcile may be when the flags move onto store B (or back from it alone).
  PHASE_GATE_RECONCILE_MAX_AGE_HOURS: wholeNumber(24),
  // Backups (the worker schedules them; the api queues them on request).
  DW_BACKUP_QUEUE: queueName('dw-backups'),
  BACKUP_STORES: backupStores,
  BACKUP_FULL_CRON: cronOrOff('0 2 * * *'),
  BACKUP_INCREMENTAL_CRON: cronOrOff('off'),
  BACKUP_DRILL_CRON: cronOrOff('0 4 * * 0'),
  BACKUP_KEEP_FULL: wholeNumber(7),
  BACKUP_KEEP_DAYS: integer(14),
});

export interface SupabaseConnection {
  url: string;
  serviceRoleKey: string;
  anonKey?: string;
  /** Direct Postgres connection for bulk work; REST-only when absent. */
  dbUrl?: string;
}

export interface PlatformConfig {
  primaryDatabaseUrl: string;
  /** Flags, ledger and diffs (CONTROL_DATABASE_URL); store A's database unless set. */
  controlDatabaseUrl: string;
  /** Absent: the platform runs degraded, on store A only. */
  supabase: SupabaseConnection | null;
  supabaseLocal: { port: number; jwtSecret?: string };
  redisUrl: string;
  adminTokens: AdminToken[];
  apiPort: number;
  logLevel: string;
  backupStoragePath: string;
  migrationTimeoutMs: number;
  rollbackEnabled: boolean;
  notificationWebhook?: string;
  flagCacheTtlMs: number;
  /** Longest a caller waits for the secondary store. */
  secondaryTimeoutMs: number;
  /**
   * SYNC_GATHER_MS: how long a secondary sync gathers the keys of concurrent writes before it goes (fewer, larger
   * syncs). Unset: the dual-write engine's default, which depends on SECONDARY_TIMEOUT_MS (callers waiting for
   * their sync would wait for the gathering too).
   */
  syncGatherMs?: number;
  /** Share of reads shadowed on the secondary in dual modes (0..1). */
  shadowReadRate: number;
  /** BATCH_INSERTS: concurrent creates of one entity leave as one multi-row insert per store. */
  batchInserts: boolean;
  /**
   * Per-store circuit breakers: failures within the window open one; a probe goes through after halfOpenAfterMs.
   * callTimeoutMs (STORE_CALL_TIMEOUT_MS): a store call still running then fails as unavailable and counts as a
   * failure; also the PostgreSQL statement_timeout of store A's connections.
   */
  breaker: { failureThreshold: number; windowMs: number; halfOpenAfterMs: number; callTimeoutMs: number };
  /** Queues the api fills and the worker drains (DW_REPLAY_QUEUE, DW_DIFFS_QUEUE, DW_REPLAY_ATTEMPTS). */
  queues: QueueSettings;
  /** DW_REDIS_PREFIX: prefix of the platform's Redis keys (breaker board, alert marks, worker heartbeat). */
  redisKeyPrefix: string;
  worker: WorkerSettings;
  alerts: AlertSettings;
  backups: BackupSettings;
  /** PHASE_GATE_RECONCILE_MAX_AGE_HOURS, in ms: the oldest a clean reconcile may be for the gated steps. */
  phaseGates: { reconcileMaxAgeMs: number };
}

/** Scheduled backups and their retention (the worker), and the queue their jobs run on (api and worker). */
export interface BackupSettings {
  /** DW_BACKUP_QUEUE: BullMQ queue of backup, drill and restore jobs. */
  queue: string;
  /** BACKUP_STORES: stores the schedule backs up (a, b, a,b; off: none). */
  stores: ('a' | 'b')[];
  /** BACKUP_FULL_CRON / BACKUP_INCREMENTAL_CRON / BACKUP_DRILL_CRON: when; null (`off`) never. */
  fullCron: string | null;
  incrementalCron: string | null;
  /** The drill restores each store's newest backup into a scratch database. */
  drillCron: string | null;
  /** BACKUP_KEEP_FULL / BACKUP_KEEP_DAYS: retention, applied after each scheduled full backup. */
  keepFull: number;
  keepDays: number;
}

export interface QueueSettings {
  /** The queue of operations the secondary owes. */
  replay: string;
  /** The queue of differences to store. */
  diffs: string;
  /** Failed replays before an operation is dead. */
  replayAttempts: number;
}

/** The worker's own settings (see apps/worker/README.md). */
export interface WorkerSettings {
  /** DW_REPLAY_CONCURRENCY: replays running at once. */
  replayConcurrency: number;
  /** DW_DIFF_BATCH_SIZE: most diffs stored in one insert statement. */
  diffBatchSize: number;
  /** DW_DIFF_BATCH_WAIT_MS: longest a diff waits for its batch to fill. */
  diffBatchWaitMs: number;
  /** DIFF_RETENTION_DAYS: info diffs older than this are removed daily (warning and error kept). */
  diffRetentionDays: number;
  /** DW_QUEUE_LOCK_MS: a job whose worker stops renewing its lock this long is stalled. */
  queueLockMs: number;
  /** DW_QUEUE_STALLED_INTERVAL_MS: how often stalled jobs are looked for and handed out again. */
  queueStalledIntervalMs: number;
  /**
   * DW_STOPPED_PROCESS_GRACE_MS: the sweep takes over what a process left open once it has not reported for this
   * long; above STORE_CALL_TIMEOUT_MS (unset: 60 s, or twice STORE_CALL_TIMEOUT_MS when longer).
   */
  stoppedProcessGraceMs: number;
}

/** The alert cron's settings, on top of ROLLBACK_ENABLED and NOTIFICATION_WEBHOOK. */
export interface AlertSettings {
  thresholds: {
    secondaryErrorRate: number;
    partialFailureRate: number;
    minOpsForRates: number;
    latencyIncrease: number;
    minLatencySamples: number;
    minLatencySpanMs: number;
    unresolvedErrorDiffs: number;
    breakerOpenMs: number;
  };
  /** DW_ALERT_WINDOW_MS: how far back the error rates look. */
  windowMs: number;
  /** DW_ALERT_LATENCY_SAMPLE: most recent writes per phase the p95s are computed over. */
  latencySampleSize: number;
}

export class ConfigError extends Error {
  constructor(readonly variable: string, reason: string) {
    super(`Invalid configuration: ${variable} ${reason}`);
    this.name = 'ConfigError';
  }
}

/** Validates the environment; throws a ConfigError naming the first missing or malformed variable. */
export function parsePlatformConfig(env: NodeJS.ProcessEnv): PlatformConfig {
  const result = environmentSchema.safeParse(env);
  if (!result.success) {
    const issue = result.error.issues[0];
    const variable = String(issue.path[0] ?? 'environment');
    const missing = env[variable] === undefined || env[variable] === '';
    throw new ConfigError(variable, missing ? 'is missing (see .env.example)' : issue.message);
  }
  const values = result.data;
  const hasUrl = values.SUPABASE_URL !== undefined;
  const hasKey = values.SUPABASE_SERVICE_ROLE_KEY !== undefined;
  if (hasUrl !== hasKey) {
    throw new ConfigError(
      hasUrl ? 'SUPABASE_SERVICE_ROLE_KEY' : 'SUPABASE_URL',
      `is missing while ${hasUrl ? 'SUPABASE_URL' : 'SUPABASE_SERVICE_ROLE_KEY'} is set (set both, or neither to run on store A only)`,
    );
  }
  const stoppedProcessGraceMs = values.DW_STOPPED_PROCESS_GRACE_MS ?? Math.max(60_000, 2 * values.STORE_CALL_TIMEOUT_MS);
  if (stoppedProcessGraceMs <= values.STORE_CALL_TIMEOUT_MS) {
    const reason = `must be above STORE_CALL_TIMEOUT_MS (${values.STORE_CALL_TIMEOUT_MS}): a stopped process's store call may land for that long`;
    throw new ConfigError('DW_STOPPED_PROCESS_GRACE_MS', reason);
  }
  return {
    primaryDatabaseUrl: values.PRIMARY_DATABASE_URL,
    controlDatabaseUrl: values.CONTROL_DATABASE_URL ?? values.PRIMARY_DATABASE_URL,
    supabase:
      values.SUPABASE_URL && values.SUPABASE_SERVICE_ROLE_KEY
        ? {
            url: values.SUPABASE_URL.replace(/\/+$/, ''),
            serviceRoleKey: values.SUPABASE_SERVICE_ROLE_KEY,
            anonKey: values.SUPABASE_ANON_KEY,
            dbUrl: values.SUPABASE_DB_URL,
          }
        : null,
    supabaseLocal: { port: values.SUPABASE_LOCAL_PORT, jwtSecret: values.SUPABASE_JWT_SECRET },
    redisUrl: values.REDIS_URL,
    adminTokens: values.ADMIN_TOKENS,
    apiPort: values.API_PORT,
    logLevel: values.LOG_LEVEL,
    backupStoragePath: values.BACKUP_STORAGE_PATH,
    migrationTimeoutMs: values.MIGRATION_TIMEOUT,
    rollbackEnabled: values.ROLLBACK_ENABLED,
    notificationWebhook: values.NOTIFICATION_WEBHOOK,
    flagCacheTtlMs: values.FLAG_CACHE_TTL_MS,
    secondaryTimeoutMs: values.SECONDARY_TIMEOUT_MS,
    syncGatherMs: values.SYNC_GATHER_MS,
    shadowReadRate: values.SHADOW_READ_RATE,
    batchInserts: values.BATCH_INSERTS,
    breaker: {
      failureThreshold: values.BREAKER_FAILURE_THRESHOLD,
      windowMs: values.BREAKER_WINDOW_MS,
      halfOpenAfterMs: values.BREAKER_HALF_OPEN_AFTER_MS,
      callTimeoutMs: values.STORE_CALL_TIMEOUT_MS,
    },
    queues: { replay: values.DW_REPLAY_QUEUE, diffs: values.DW_DIFFS_QUEUE, replayAttempts: values.DW_REPLAY_ATTEMPTS },
    redisKeyPrefix: values.DW_REDIS_PREFIX,
    phaseGates: { reconcileMaxAgeMs: values.PHASE_GATE_RECONCILE_MAX_AGE_HOURS * 3_600_000 },
    worker: {
      replayConcurrency: values.DW_REPLAY_CONCURRENCY,
      diffBatchSize: values.DW_DIFF_BATCH_SIZE,
      diffBatchWaitMs: values.DW_DIFF_BATCH_WAIT_MS,
      diffRetentionDays: values.DIFF_RETENTION_DAYS,
      queueLockMs: values.DW_QUEUE_LOCK_MS,
      queueStalledIntervalMs: values.DW_QUEUE_STALLED_INTERVAL_MS,
      stoppedProcessGraceMs,
    },
    alerts: {
      thresholds: {
        secondaryErrorRate: values.DW_ALERT_SECONDARY_ERROR_RATE,
        partialFailureRate: values.DW_ALERT_PARTIAL_FAILURE_RATE,
        minOpsForRates: values.DW_ALERT_MIN_WRITES,
        latencyIncrease: values.DW_ALERT_LATENCY_INCREASE,
        minLatencySamples: values.DW_ALERT_MIN_LATENCY_SAMPLES,
        minLatencySpanMs: values.DW_ALERT_MIN_LATENCY_SPAN_MS,
        unresolvedErrorDiffs: values.DW_ALERT_UNRESOLVED_ERROR_DIFFS,
        breakerOpenMs: values.DW_ALERT_BREAKER_OPEN_MS,
      },
      windowMs: values.DW_ALERT_WINDOW_MS,
      latencySampleSize: values.DW_ALERT_LATENCY_SAMPLE,
    },
    backups: {
      queue: values.DW_BACKUP_QUEUE,
      stores: values.BACKUP_STORES,
      fullCron: values.BACKUP_FULL_CRON,
      incrementalCron: values.BACKUP_INCREMENTAL_CRON,
      drillCron: values.BACKUP_DRILL_CRON,
      keepFull: values.BACKUP_KEEP_FULL,
      keepDays: values.BACKUP_KEEP_DAYS,
    },
  };
}

/**
 * For process entry points: reads .env then .env.example defaults, validates, and on a bad value
 * prints one line naming the variable and exits non-zero.
 */
export function loadPlatformConfigOrExit(env: NodeJS.ProcessEnv = process.env): PlatformConfig {
  return parsedOrExit(() => parsePlatformConfig(env));
}

/**
 * For process entry points: runs a settings parser; on a ConfigError prints its one line (naming the
 * variable) and exits 78 (EX_CONFIG).
 */
export function parsedOrExit<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(78);
    }
    throw error;
  }
}
