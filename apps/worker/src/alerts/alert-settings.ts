import { ConfigError, parsedOrExit } from '@dualwrite/config';
import { DEFAULT_ALERT_THRESHOLDS, type AlertThresholds } from '@dualwrite/dual-write';

/** The alert cron's settings, on top of ROLLBACK_ENABLED and NOTIFICATION_WEBHOOK (platform config). */
export interface AlertSettings {
  thresholds: AlertThresholds;
  /** DW_ALERT_WINDOW_MS: how far back the error rates look. */
  windowMs: number;
  /** DW_ALERT_LATENCY_SAMPLE: most recent writes per phase the p95s are computed over. */
  latencySampleSize: number;
  /** DW_ALERT_REDIS_PREFIX: prefix of the Redis keys `<prefix>:breakers`, `<prefix>:alerts:active`, `<prefix>:alerts:rolled-back`. */
  redisPrefix: string;
}

function ratio(env: NodeJS.ProcessEnv, variable: string, fallback: number): number {
  const value = env[variable]?.trim();
  if (!value) return fallback;
  const number = Number(value);
  if (!/^\d*\.?\d+$/.test(value) || number < 0 || number > 1) throw new ConfigError(variable, 'must be a ratio between 0 and 1, e.g. 0.05 for 5 %');
  return number;
}

function wholeNumber(env: NodeJS.ProcessEnv, variable: string, fallback: number): number {
  const value = env[variable]?.trim();
  if (!value) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new ConfigError(variable, 'must be a whole number of at least 1');
  return Number(value);
}

function prefix(env: NodeJS.ProcessEnv, variable: string, fallback: string): string {
  const value = env[variable]?.trim();
  if (!value) return fallback;
  if (!/^[A-Za-z0-9:._-]+$/.test(value)) throw new ConfigError(variable, 'must be letters, digits, ":", ".", "_" or "-"');
  return value;
}

/** Reads the alert settings; throws a ConfigError naming the first malformed variable. */
export function parseAlertSettings(env: NodeJS.ProcessEnv): AlertSettings {
  const defaults = DEFAULT_ALERT_THRESHOLDS;
  return {
    thresholds: {
      secondaryErrorRate: ratio(env, 'DW_ALERT_SECONDARY_ERROR_RATE', defaults.secondaryErrorRate),
      partialFailureRate: ratio(env, 'DW_ALERT_PARTIAL_FAILURE_RATE', defaults.partialFailureRate),
      minOpsForRates: wholeNumber(env, 'DW_ALERT_MIN_WRITES', defaults.minOpsForRates),
      latencyIncrease: ratio(env, 'DW_ALERT_LATENCY_INCREASE', defaults.latencyIncrease),
      minLatencySamples: wholeNumber(env, 'DW_ALERT_MIN_LATENCY_SAMPLES', defaults.minLatencySamples),
      unresolvedErrorDiffs: wholeNumber(env, 'DW_ALERT_UNRESOLVED_ERROR_DIFFS', defaults.unresolvedErrorDiffs),
      breakerOpenMs: wholeNumber(env, 'DW_ALERT_BREAKER_OPEN_MS', defaults.breakerOpenMs),
    },
    windowMs: wholeNumber(env, 'DW_ALERT_WINDOW_MS', 300_000),
    latencySampleSize: wholeNumber(env, 'DW_ALERT_LATENCY_SAMPLE', 1_000),
    redisPrefix: prefix(env, 'DW_ALERT_REDIS_PREFIX', 'dw'),
  };
}

/** For the entry point: on a malformed value prints one line naming it and exits 78, like the platform config. */
export function loadAlertSettingsOrExit(env: NodeJS.ProcessEnv = process.env): AlertSettings {
  return parsedOrExit(() => parseAlertSettings(env));
}

/** The Redis keys of one prefix. */
export function alertRedisKeys(settings: Pick<AlertSettings, 'redisPrefix'>): { breakers: string; active: string; rolledBack: string } {
  return {
    breakers: `${settings.redisPrefix}:breakers`,
    active: `${settings.redisPrefix}:alerts:active`,
    rolledBack: `${settings.redisPrefix}:alerts:rolled-back`,
  };
}

/** Injection token of the AlertSettings. */
export const ALERT_SETTINGS = Symbol('ALERT_SETTINGS');
