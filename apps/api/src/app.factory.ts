import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { PlatformConfig } from '@dualwrite/config';
import { Logger } from 'nestjs-pino';
import { ApiModule, type ApiModuleOptions } from './api.module';
import { setupApiDocs } from './docs/api-docs';

export type CreateApiAppOptions = ApiModuleOptions;

/**
 * The configured, initialised API application (not yet listening). main.ts listens on it; tests hand
 * `app.getHttpServer()` to supertest. The caller closes it, which closes the stores and Redis.
 */
export async function createApiApp(config: PlatformConfig, options: CreateApiAppOptions = {}): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(ApiModule.forRoot(config, options), { bufferLogs: true, abortOnError: false });
  app.useLogger(app.get(Logger));
  app.disable('x-powered-by');
  // Swagger registers its routes on the HTTP adapter; they must precede the not-found handler init() installs.
  setupApiDocs(app);
  await app.init();
  // Nest flushes buffered start-up logs on listen(); tests never listen, so flush here.
  app.flushLogs();
  return app;
}
