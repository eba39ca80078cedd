import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { loadEnvFiles, loadPlatformConfigOrExit } from '@dualwrite/config';
import { exampleEntities } from '@dualwrite/example-domain';
import { RunSettingsError, parseRunSettings, type RunSettings } from '@dualwrite/reconcile';
import { WorkerModule } from './worker.module';

/** The distributed runs' settings (DW_RUNS_*, RECONCILE_CRON*): a bad one is one line naming it, exit 78. */
function runSettingsOrExit(): RunSettings {
  try {
    return parseRunSettings(process.env);
  } catch (error) {
    if (!(error instanceof RunSettingsError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(78);
  }
}

async function main(): Promise<void> {
  loadEnvFiles();
  const config = loadPlatformConfigOrExit();
  // The example deployment's entities: the same list its api registers.
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot({ config, entities: exampleEntities, runSettings: runSettingsOrExit() }));
  app.enableShutdownHooks();
  new Logger('Worker').log(
    `worker ready (store B ${config.supabase ? 'configured' : 'not configured: store A only'}; ` +
      `queues ${config.queues.replay}, ${config.queues.diffs})`,
  );
}

void main();
