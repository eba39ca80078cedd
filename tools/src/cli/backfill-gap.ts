import path from 'node:path';
import { loadEnvFiles, loadPlatformConfigOrExit } from '@dualwrite/config';
import { KeySync, OperationLedger } from '@dualwrite/dual-write';
import { exampleEntities } from '@dualwrite/example-domain';
import { BackfillGap, SqlChangedKeys, StoreScanChangedKeys, type BackfillResult } from '@dualwrite/reconcile';
import { readCommandLine } from './args';
import { BACKFILL_GAP_USAGE, parseBackfillGapArgs } from './verify-args';
import { openOperatorResources } from './operator-resources';

/**
 * `npm run backfill-gap -- --since=<ISO> [--entity=all|<name>] [--dry-run] [--json]`: rows the primary changed since the
 * time made equal on the secondary through KeySync (libs/reconcile/src/verify). Keys are listed in SQL on store A and, with
 * SUPABASE_DB_URL, on store B; without it store B's rows are scanned over REST. Exit codes: 0 nothing left unequal (or a
 * dry run), 1 keys left or a failure, 2 bad command line, 78 bad config.
 */
const root = path.resolve(__dirname, '..', '..', '..');
const out = (text: string) => process.stdout.write(`${text}\n`);
const err = (text: string) => process.stderr.write(`${text}\n`);

function printLines(result: BackfillResult): void {
  out(`${result.dryRun ? 'dry run: ' : ''}rows changed on ${result.primaryStore} (primary) since ${result.since.toISOString()}, against ${result.secondaryStore}`);
  for (const entity of result.entities) {
    if (entity.skipped) {
      out(`${entity.entity}: skipped: ${entity.skipped}`);
      continue;
    }
    out(`${entity.entity}: ${entity.changedOnPrimary} changed on the primary, ${entity.deletedInLedger} deleted (ledger); ${entity.gaps.length} unequal on the secondary`);
    for (const gap of entity.gaps) out(`  ${gap.key} ${gap.kind}${gap.fields.length > 0 ? ` (${gap.fields.join(', ')})` : ''}`);
    if (!result.dryRun && entity.gaps.length > 0) {
      out(`  synced through KeySync: ${entity.copied} copied, ${entity.deleted} deleted, ${entity.left.length} left, ${entity.stillDiffering.length} still unequal`);
      for (const left of entity.left) out(`  left ${left.key}: ${left.reason}`);
    }
  }
  out(result.dryRun ? 'dry run: nothing written' : 'backfill done');
}

async function main(): Promise<void> {
  loadEnvFiles(root);
  const request = readCommandLine((argv) => parseBackfillGapArgs(argv, exampleEntities.map((entity) => entity.name)), BACKFILL_GAP_USAGE);
  if (!request) return;
  const config = loadPlatformConfigOrExit();
  try {
    const resources = openOperatorResources(config, 'verify against');
    try {
      const { stores, pools } = resources;
      const ledger = new OperationLedger(pools.control);
      const backfill = new BackfillGap({
        entities: exampleEntities,
        stores,
        control: pools.control,
        keySync: new KeySync({ pool: pools.control, ledger }),
        changedKeys: { a: new SqlChangedKeys(pools.a), b: pools.b ? new SqlChangedKeys(pools.b, 'public') : new StoreScanChangedKeys(stores.b) },
      });
      const result = await backfill.run(request.since, request.entities, { dryRun: request.dryRun });
      if (request.json) out(JSON.stringify(result, null, 2));
      else printLines(result);
      const unequal = result.entities.filter((entity) => entity.left.length > 0 || entity.stillDiffering.length > 0);
      if (unequal.length > 0) {
        err(`keys still unequal after the backfill: ${unequal.map((entity) => `${entity.entity} ${entity.stillDiffering.length}`).join(', ')} (reconcile-data lists them)`);
        process.exitCode = 1;
      }
    } finally {
      await resources.close();
    }
  } catch (error) {
    err(`backfill-gap failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  }
}

void main();
