import { runDbCommand } from './db-command';

/** `npm run db:backup -- [--store=prisma|supabase] [--json]` (usage: db-args.ts). */
void runDbCommand('db:backup');
