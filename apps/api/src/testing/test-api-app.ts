import type { INestApplication } from '@nestjs/common';
import { prepareControlDatabase } from '@dualwrite/testing';
import { type PlatformConfig } from '@dualwrite/config';
import { __resetOutOfContextForTests } from 'nestjs-pino/PinoLogger';
import { Writable } from 'node:stream';
import type { App } from 'supertest/types';
import { createApiApp } from '../app.factory';

/** Collects the app's JSON log lines in memory instead of printing them. */
export class LogCapture extends Writable {
  private readonly chunks: string[] = [];

  override _write(chunk: Buffer | string, _encoding: BufferEncoding, done: () => void): void {
    this.chunks.push(chunk.toString());
    done();
  }

  text(): string {
    return this.chunks.join('');
  }

  lines(): Record<string, unknown>[] {
    return this.text()
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  }
}

export interface TestApiApp {
  app: INestApplication;
  server: App;
  logs: LogCapture;
  close(): Promise<void>;
}

/** API tests keep their phase flags, ledger and diffs in a control database of their own. */
export const API_TEST_CONTROL_DATABASE = 'dw_control_api_spec';

export async function startTestApiApp(config: PlatformConfig): Promise<TestApiApp> {
  const controlDatabaseUrl = await prepareControlDatabase(API_TEST_CONTROL_DATABASE);
  config = { ...config, controlDatabaseUrl };
  const logs = new LogCapture();
  // nestjs-pino keeps one root logger per process (the first app's); each test app gets its own.
  __resetOutOfContextForTests();
  const app = await createApiApp(config, { logDestination: logs });
  return { app, server: app.getHttpServer() as App, logs, close: () => app.close() };
}
