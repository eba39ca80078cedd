import { runDbCommand } from './db-command';

/** `npm run db:migrate -- [--store=prisma|supabase] [--json]` (usage: db-args.ts). */
void runDbCommand('db:migrate');
