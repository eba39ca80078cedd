import type { INestApplication } from '@nestjs/common';
import { __resetOutOfContextForTests } from 'nestjs-pino/PinoLogger';
import type { App } from 'supertest/types';
import type { PlatformConfig } from '@dualwrite/config';
import { createApiApp } from '../app.factory';
import { LogCapture } from './test-api-app';
import { adminTokenFor, bearer } from './test-config';

export interface AdminTestApp {
  app: INestApplication;
  server: App;
  asViewer: { Authorization: string };
  asOperator: { Authorization: string };
}

/** The api on `config` as given (a suite's own databases), with a viewer's and an operator's bearer header. */
export async function startAdminTestApp(config: PlatformConfig): Promise<AdminTestApp> {
  // nestjs-pino keeps one root logger per process (the first app's); each test app gets its own.
  __resetOutOfContextForTests();
  const app = await createApiApp(config, { logDestination: new LogCapture() });
  return { app, server: app.getHttpServer() as App, asViewer: bearer(adminTokenFor(config, 'viewer')), asOperator: bearer(adminTokenFor(config, 'operator')) };
}
