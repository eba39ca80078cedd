/** Settings of the local Supabase endpoint, read from the environment (defaults in .env.example). */
export interface SupabaseLocalConfig {
  /** TCP port on 127.0.0.1; 0 picks a free one. */
  port: number;
  /** PostgreSQL database the endpoint serves (dw_supabase). */
  databaseUrl: string;
  /** HS256 secret the API keys and user JWTs are signed with. */
  jwtSecret: string;
  /** Schemas reachable through Accept-Profile / Content-Profile; the first is the default. */
  schemas?: string[];
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`${name} is not set (see .env.example).`);
  return value;
}

export function readSupabaseLocalConfig(env: NodeJS.ProcessEnv = process.env): SupabaseLocalConfig {
  const portText = env['SUPABASE_LOCAL_PORT'] || '54321';
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`SUPABASE_LOCAL_PORT must be a TCP port number, got "${portText}".`);
  }
  const jwtSecret = required(env, 'SUPABASE_JWT_SECRET');
  if (jwtSecret.length < 32) throw new Error('SUPABASE_JWT_SECRET must be at least 32 characters.');
  const schemas = (env['SUPABASE_LOCAL_SCHEMAS'] || 'public').split(',').map((schema) => schema.trim()).filter(Boolean);
  return { port, databaseUrl: required(env, 'SUPABASE_DB_URL'), jwtSecret, schemas };
}
