import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { loadEnvFiles, loadPlatformConfigOrExit } from '@dualwrite/config';
import { exampleEntities } from '@dualwrite/example-domain';
import { WorkerModule } from './worker.module';

async function main(): Promise<void> {
  loadEnvFiles();
  const config = loadPlatformConfigOrExit();
  // The example deployment's entities: the same list its api registers.
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot({ config, entities: exampleEntities }));
  app.enableShutdownHooks();
  new Logger('Worker').log(
    `worker ready (store B ${config.supabase ? 'configured' : 'not configured: store A only'}; ` +
      `queues ${config.queues.replay}, ${config.queues.diffs})`,
  );
}

void main();
