import { runDbCommand } from './db-command';

/** `npm run db:health:check -- [--store=prisma|supabase] [--json]` (usage: db-args.ts). */
void runDbCommand('db:health:check');
