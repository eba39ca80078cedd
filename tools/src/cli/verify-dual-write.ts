import path from 'node:path';
import { loadEnvFiles, loadPlatformConfigOrExit } from '@dualwrite/config';
import { exampleEntities } from '@dualwrite/example-domain';
import { DualWriteVerifier, type DualWriteVerification } from '@dualwrite/reconcile';
import { readCommandLine } from './args';
import { VERIFY_DUAL_WRITE_USAGE, parseVerifyDualWriteArgs } from './verify-args';
import { openOperatorResources } from './operator-resources';

/**
 * `npm run verify-dual-write -- --minutes=N [--json]`: every ledger operation of the last N minutes checked on both
 * stores (libs/reconcile/src/verify). Exit codes: 0 every applied operation's keys equal, 1 a key differs or a store
 * failed, 2 bad command line, 78 bad config.
 */
const root = path.resolve(__dirname, '..', '..', '..');
const out = (text: string) => process.stdout.write(`${text}\n`);
const err = (text: string) => process.stderr.write(`${text}\n`);
const LISTED = 50;

function printLines(result: DualWriteVerification): void {
  out(`${result.mode}: ${result.operations} operations from ${result.from.toISOString()} to ${result.to.toISOString()}; ${result.keysChecked} keys compared on both stores`);
  for (const mismatch of result.mismatches.slice(0, LISTED)) {
    const what = mismatch.differences
      .map((difference) => (difference.field ? `${difference.field}: ${JSON.stringify(difference.primary)} ≠ ${JSON.stringify(difference.secondary)}` : difference.kind))
      .join('; ');
    out(`MISMATCH ${mismatch.entity} ${mismatch.key} (ops ${mismatch.opIds.join(', ')}): ${what}`);
  }
  if (result.mismatches.length > LISTED) out(`… and ${result.mismatches.length - LISTED} more mismatches (--json lists them all)`);
  for (const op of result.notApplied.slice(0, LISTED)) out(`not applied: op ${op.opId} ${op.operation} ${op.entity} [${op.keys.join(', ')}] ${op.status}${op.lastError ? ` (${op.lastError.slice(0, 120)})` : ''}`);
  if (result.notApplied.length > LISTED) out(`… and ${result.notApplied.length - LISTED} more not applied (--json lists them all)`);
  if (result.singleStoreOperations > 0) out(`${result.singleStoreOperations} applied operations were written in a single-store phase (no secondary): not compared`);
  if (result.unknownEntityOperations > 0) out(`${result.unknownEntityOperations} applied operations are of entities this deployment does not register: not compared`);
  if (result.inFlightKeys.length > 0) out(`${result.inFlightKeys.length} keys not compared: an operation on them is still unsettled (run again once it settles)`);
  out(result.equal ? 'every applied operation\'s keys are equal on both stores' : `${result.mismatches.length} keys differ`);
}

async function main(): Promise<void> {
  loadEnvFiles(root);
  const request = readCommandLine(parseVerifyDualWriteArgs, VERIFY_DUAL_WRITE_USAGE);
  if (!request) return;
  const config = loadPlatformConfigOrExit();
  try {
    const resources = openOperatorResources(config, 'verify against');
    try {
      const result = await new DualWriteVerifier({ entities: exampleEntities, stores: resources.stores, control: resources.pools.control }).verify(request.minutes);
      if (request.json) out(JSON.stringify(result, null, 2));
      else printLines(result);
      if (!result.equal) process.exitCode = 1;
    } finally {
      await resources.close();
    }
  } catch (error) {
    err(`verify-dual-write failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  }
}

void main();
