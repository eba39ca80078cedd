// @dualwrite/config: the platform's settings, validated once with zod; entry points read them, libraries
// receive typed options and never read the environment themselves.

export {
  ADMIN_ROLES,
  ConfigError,
  loadPlatformConfigOrExit,
  parsePlatformConfig,
  parsedOrExit,
  type AdminRole,
  type AdminToken,
  type AlertSettings,
  type PlatformConfig,
  type QueueSettings,
  type SupabaseConnection,
  type WorkerSettings,
} from './platform-config';
export { loadEnvFiles } from './load-env-files';
