import { loadAlertSettingsOrExit } from './alerts/alert-settings';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { loadEnvFiles, loadPlatformConfigOrExit } from '@dualwrite/config';
import { loadWorkerSettingsOrExit } from './config/worker-settings';
import { WorkerModule } from './worker.module';

async function main(): Promise<void> {
  loadEnvFiles();
  const config = loadPlatformConfigOrExit();
  const settings = loadWorkerSettingsOrExit();
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot({ config, settings, alerts: loadAlertSettingsOrExit() }));
  app.enableShutdownHooks();
  new Logger('Worker').log(
    `worker ready (store B ${config.supabase ? 'configured' : 'not configured: store A only'}; ` +
      `queues ${settings.replayQueue}, ${settings.diffsQueue})`,
  );
}

void main();
