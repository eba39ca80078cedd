import os from 'node:os';
import path from 'node:path';
import { Pool } from 'pg';
import {
  FlagRepository,
  FlagService,
  FlagSwitcher,
  FlipInProgressError,
  FlipRefusedError,
  InvalidFlagChangeError,
  OperationLedger,
  PhaseGateRefusedError,
  ProcessRegistry,
  StaleFlagsError,
} from '@dualwrite/dual-write';
import { GateEvidenceReader } from '@dualwrite/reconcile';
import { loadEnvFiles, loadPlatformConfigOrExit } from '@dualwrite/config';
import { createExampleStores, exampleEntities } from '@dualwrite/example-domain';
import { changeReport, currentReport } from './flags-report';
import { readCommandLine } from './args';
import { TOGGLE_USAGE, parseToggleArgs, type ToggleRequest } from './toggle-args';

/**
 * `npm run toggle-feature-flags -- --dual-write=on|off --primary=prisma|supabase --reason "..."`: moves the
 * platform between the four phases. The change goes through FlagSwitcher, which records it with a history row,
 * tells every api and worker process over Redis, and fences a change of the primary (PROTOCOL.md). Without flags it prints
 * the current flags and mode. A transition the phase gates refuse names each unmet condition; `--force` overrides it
 * (recorded in the history). Exit codes: 0 done, 1 refused or failed, 2 bad command line, 78 bad config.
 */
const root = path.resolve(__dirname, '..', '..', '..');
const out = (text: string) => process.stdout.write(`${text}\n`);
const err = (text: string) => process.stderr.write(`${text}\n`);

async function run(request: Exclude<ToggleRequest, { kind: 'help' }>): Promise<void> {
  loadEnvFiles(root);
  const config = loadPlatformConfigOrExit();
  const pool = new Pool({ connectionString: config.controlDatabaseUrl, max: 2 });
  pool.on('error', () => undefined);
  const repository = new FlagRepository(pool);
  try {
    if (request.kind === 'show') {
      out(currentReport(await repository.read()));
      return;
    }
    const flags = new FlagService(repository, {
      redisUrl: config.redisUrl,
      redisKeyPrefix: config.redisKeyPrefix,
      cacheTtlMs: config.flagCacheTtlMs,
      onWarning: (message) => err(`warning: ${message}`),
    });
    try {
      await flags.start();
      // The same barrier as the admin API: a change of the primary waits for old writes and every process,
      // and raises the new primary's sequences above the old one's highest keys before writes resume.
      const stores = createExampleStores(config);
      const switcher = new FlagSwitcher({
        flags,
        ledger: new OperationLedger(pool),
        registry: new ProcessRegistry(pool),
        sequences: { stores, entities: exampleEntities },
        gates: {
          evidence: new GateEvidenceReader(pool, { a: stores.a.name, b: stores.b?.name ?? null }),
          entities: exampleEntities.map((entity) => entity.name),
          policy: config.phaseGates,
        },
      });
      try {
        const { before, after } = await switcher.change({
          next: request.next,
          reason: request.reason,
          expectedVersion: request.expectedVersion,
          force: request.force,
          changedBy: `cli:${os.userInfo().username}`,
          source: 'cli',
        });
        out(changeReport(before, after));
      } finally {
        await Promise.allSettled([stores.a.close(), stores.b?.close()]);
      }
    } finally {
      await flags.close();
    }
  } finally {
    await pool.end();
  }
}

async function main(): Promise<void> {
  const request = readCommandLine(parseToggleArgs, TOGGLE_USAGE);
  if (!request) return;
  try {
    await run(request);
  } catch (error) {
    if (error instanceof StaleFlagsError || error instanceof InvalidFlagChangeError) {
      err(`refused: ${error.message} Nothing was changed.`);
    } else if (error instanceof PhaseGateRefusedError) {
      err(`refused: ${error.message}. Nothing was changed.`);
    } else if (error instanceof FlipRefusedError || error instanceof FlipInProgressError) {
      err(`refused: ${error.message}`);
    } else {
      err(`toggle-feature-flags failed: ${error instanceof Error ? error.message : String(error)}`);
    }
    process.exitCode = 1;
  }
}

void main();
