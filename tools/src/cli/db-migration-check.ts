import { runDbCommand } from './db-command';

/** `npm run db:migration:check -- [--store=prisma|supabase] [--json]` (usage: db-args.ts). */
void runDbCommand('db:migration:check');
