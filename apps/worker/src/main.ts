import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { loadEnvFiles, loadPlatformConfigOrExit } from '@dualwrite/dual-write';
import { WorkerModule } from './worker.module';

async function main(): Promise<void> {
  loadEnvFiles();
  const config = loadPlatformConfigOrExit();
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot({ redisUrl: config.redisUrl }));
  app.enableShutdownHooks();
  new Logger('Worker').log(
    `worker ready (store B ${config.supabase ? 'configured' : 'not configured: store A only'})`,
  );
}

void main();
