import { Logger } from '@nestjs/common';
import { loadEnvFiles, loadPlatformConfigOrExit } from '@dualwrite/config';
import { createApiApp } from './app.factory';

async function main(): Promise<void> {
  loadEnvFiles();
  const config = loadPlatformConfigOrExit();
  const app = await createApiApp(config);
  app.enableShutdownHooks();
  await app.listen(config.apiPort);
  new Logger('Api').log(
    `api listening on port ${config.apiPort} (store B ${config.supabase ? 'configured' : 'not configured: degraded, store A only'}; docs at /admin/docs)`,
  );
}

void main();
