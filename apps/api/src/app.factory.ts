import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { PlatformConfig } from '@dualwrite/config';
import { Logger } from 'nestjs-pino';
import { ApiModule, type ApiModuleOptions } from './api.module';
import { setupApiDocs } from './docs/api-docs';
import { HttpDrain } from './http/http-drain';

export interface CreateApiAppOptions extends ApiModuleOptions {
  /** Tracks running requests and refuses new ones once stopped (main.ts stops it first on SIGTERM). */
  httpDrain?: HttpDrain;
}

/**
 * The configured, initialised API application (not yet listening). main.ts listens on it; tests hand
 * `app.getHttpServer()` to supertest. The caller closes it, which closes the stores and Redis.
 */
export async function createApiApp(config: PlatformConfig, options: CreateApiAppOptions = {}): Promise<INestApplication> {
  const { httpDrain = new HttpDrain(), ...moduleOptions } = options;
  const app = await NestFactory.create<NestExpressApplication>(ApiModule.forRoot(config, moduleOptions), { bufferLogs: true, abortOnError: false });
  app.useLogger(app.get(Logger));
  app.disable('x-powered-by');
  // Before every route and middleware: once shutdown has begun, a new request is refused before it starts anything.
  app.use(httpDrain.middleware);
  // Swagger registers its routes on the HTTP adapter; they must precede the not-found handler init() installs.
  setupApiDocs(app);
  await app.init();
  // Nest flushes buffered start-up logs on listen(); tests never listen, so flush here.
  app.flushLogs();
  return app;
}
