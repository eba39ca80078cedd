/** Settings of the Supabase endpoint the Supabase specs run against (defaults from .env.example). */
export function supabaseTestSettings(): { url: string; serviceRoleKey: string; databaseUrl: string } {
  const url = process.env['SUPABASE_URL'];
  const serviceRoleKey = process.env['SUPABASE_SERVICE_ROLE_KEY'];
  const databaseUrl = process.env['SUPABASE_DB_URL'];
  if (!url || !serviceRoleKey || !databaseUrl) {
    throw new Error('Supabase specs need SUPABASE_URL, SUPABASE_SERVICE_ROLE_KEY and SUPABASE_DB_URL (see .env.example).');
  }
  return { url, serviceRoleKey, databaseUrl };
}

/** A Supabase store configuration whose API and database ports are closed. */
export const unreachableSupabase = {
  url: 'http://127.0.0.1:1',
  databaseUrl: 'postgresql://postgres@127.0.0.1:1/dw_supabase',
} as const;
