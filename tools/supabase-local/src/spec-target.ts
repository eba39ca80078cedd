import { createClient, type SupabaseClient, type WebSocketLikeConstructor } from '@supabase/supabase-js';
import jwt from 'jsonwebtoken';
import WebSocket from 'ws';
import { startSupabaseLocal } from './server';

/**
 * What the specs of this folder run against. By default a supabase-local started in-process on a free port
 * over SUPABASE_DB_URL. With DUALWRITE_NO_ENV_DEFAULTS=true (the Supabase contract run) the configured
 * SUPABASE_URL instead, e.g. `supabase start` or a project, so the same scenarios check the real thing.
 */
export interface SpecTarget {
  url: string;
  anonKey: string;
  serviceRoleKey: string;
  jwtSecret: string;
  databaseUrl: string;
  /** True when the target is this folder's endpoint (some assertions name its exact codes). */
  local: boolean;
  close(): Promise<void>;
}

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set; the supabase-local specs need it (see .env.example).`);
  return value;
}

export function signKey(secret: string, claims: Record<string, unknown>): string {
  const inOneHour = Math.floor(Date.now() / 1000) + 3600;
  return jwt.sign({ iss: 'supabase-local-spec', exp: inOneHour, ...claims }, secret, { algorithm: 'HS256' });
}

export async function startSpecTarget(): Promise<SpecTarget> {
  const jwtSecret = env('SUPABASE_JWT_SECRET');
  const databaseUrl = env('SUPABASE_DB_URL');
  if (process.env['DUALWRITE_NO_ENV_DEFAULTS'] === 'true') {
    return {
      url: env('SUPABASE_URL'),
      anonKey: env('SUPABASE_ANON_KEY'),
      serviceRoleKey: env('SUPABASE_SERVICE_ROLE_KEY'),
      jwtSecret,
      databaseUrl,
      local: false,
      close: async () => undefined,
    };
  }
  const endpoint = await startSupabaseLocal({ port: 0, databaseUrl, jwtSecret });
  return {
    url: endpoint.url,
    anonKey: signKey(jwtSecret, { role: 'anon' }),
    serviceRoleKey: signKey(jwtSecret, { role: 'service_role' }),
    jwtSecret,
    databaseUrl,
    local: true,
    close: () => endpoint.close(),
  };
}

/** Node 20 has no global WebSocket; supabase-js refuses to construct without one (ws's typings differ, hence the cast). */
const transport = WebSocket as unknown as WebSocketLikeConstructor;

/** A supabase-js client with `key` as apikey and, when given, a user's JWT as bearer. */
export function clientFor(url: string, key: string, options: { bearer?: string; schema?: string } = {}): SupabaseClient {
  return createClient(url, key, {
    realtime: { transport },
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    db: { schema: options.schema ?? 'public' },
    global: options.bearer ? { headers: { Authorization: `Bearer ${options.bearer}` } } : {},
  }) as unknown as SupabaseClient;
}
