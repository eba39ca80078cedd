/** Default prefix of the platform's Redis keys; processes take theirs from DW_REDIS_PREFIX. */
export const DEFAULT_REDIS_KEY_PREFIX = 'dw';

export interface PlatformRedisKeys {
  /** Hash of every process's breaker states (the api publishes, the worker's alert rules read). */
  breakers: string;
  /** Alerts currently firing, so each is sent once. */
  activeAlerts: string;
  /** Rollbacks the guard already made, so each happens once. */
  rolledBack: string;
  /** The worker's heartbeat. */
  workerHeartbeat: string;
  /** Pub/sub channel announcing a flag change. */
  flagsChanged: string;
}

/** Every Redis key and channel the platform uses, under one prefix, so the api and the worker cannot disagree. */
export function platformRedisKeys(prefix: string = DEFAULT_REDIS_KEY_PREFIX): PlatformRedisKeys {
  return {
    breakers: `${prefix}:breakers`,
    activeAlerts: `${prefix}:alerts:active`,
    rolledBack: `${prefix}:alerts:rolled-back`,
    workerHeartbeat: `${prefix}:worker:heartbeat`,
    flagsChanged: `${prefix}:flags:changed`,
  };
}
