import { parsePlatformConfig, type AdminRole, type PlatformConfig } from '@dualwrite/config';

/** Environment overrides that leave store B unconfigured (degraded: store A only). */
export const DEGRADED_ENV = { SUPABASE_URL: '', SUPABASE_SERVICE_ROLE_KEY: '' } as const;

/** Store A on a port nothing listens on. */
export const CLOSED_PORT_PRIMARY_ENV = { PRIMARY_DATABASE_URL: 'postgresql://postgres@127.0.0.1:1/dw_primary' } as const;

/** The platform configuration of the test environment (.env.example defaults) with `overrides` applied. */
export function testConfig(overrides: NodeJS.ProcessEnv = {}): PlatformConfig {
  return parsePlatformConfig({ ...process.env, ...overrides });
}

export function adminTokenFor(config: PlatformConfig, role: AdminRole): string {
  const entry = config.adminTokens.find((token) => token.role === role);
  if (!entry) throw new Error(`ADMIN_TOKENS has no ${role} token; the tests need one per role.`);
  return entry.token;
}

export function bearer(token: string): { Authorization: string } {
  return { Authorization: `Bearer ${token}` };
}
