import { runDbCommand } from './db-command';

/** `npm run db:migration:validate -- [--store=prisma|supabase] [--json]` (usage: db-args.ts). */
void runDbCommand('db:migration:validate');
