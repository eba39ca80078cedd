import path from 'node:path';
import { loadEnvFiles, loadPlatformConfigOrExit } from '@dualwrite/config';
import { exampleEntities } from '@dualwrite/example-domain';
import { verifyCounts } from '@dualwrite/reconcile';
import { readCommandLine } from './args';
import { VERIFY_COUNTS_USAGE, parseVerifyCountsArgs } from './verify-args';
import { openOperatorResources } from './operator-resources';

/**
 * `npm run verify-counts -- [--json]`: row counts of every entity on both stores side by side (primary and secondary
 * as the flags say; store B counted in SQL when SUPABASE_DB_URL is set, over REST otherwise). Exit codes: 0 all equal,
 * 1 a count differs or a store failed, 2 bad command line, 78 bad config.
 */
const root = path.resolve(__dirname, '..', '..', '..');
const out = (text: string) => process.stdout.write(`${text}\n`);
const err = (text: string) => process.stderr.write(`${text}\n`);

async function main(): Promise<void> {
  loadEnvFiles(root);
  const request = readCommandLine(parseVerifyCountsArgs, VERIFY_COUNTS_USAGE);
  if (!request) return;
  const config = loadPlatformConfigOrExit();
  try {
    const resources = openOperatorResources(config, 'verify against');
    try {
      const result = await verifyCounts({ entities: exampleEntities, stores: resources.stores, control: resources.pools.control });
      if (request.json) out(JSON.stringify(result, null, 2));
      else {
        const [first] = result.entities;
        out(`${result.mode}: primary ${first?.primary.store ?? '-'}, secondary ${first?.secondary.store ?? '-'}`);
        const width = Math.max(6, ...result.entities.map((entity) => entity.entity.length));
        out(`${'entity'.padEnd(width)}  ${'primary'.padStart(12)}  ${'secondary'.padStart(12)}  ${'difference'.padStart(10)}`);
        for (const entity of result.entities) {
          const difference = entity.primary.count - entity.secondary.count;
          out(`${entity.entity.padEnd(width)}  ${String(entity.primary.count).padStart(12)}  ${String(entity.secondary.count).padStart(12)}  ${(entity.equal ? '' : String(difference)).padStart(10)}`);
        }
      }
      if (!result.equal) {
        err(`counts differ: ${result.entities.filter((entity) => !entity.equal).map((entity) => entity.entity).join(', ')}`);
        process.exitCode = 1;
      }
    } finally {
      await resources.close();
    }
  } catch (error) {
    err(`verify-counts failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  }
}

void main();
