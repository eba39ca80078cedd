import { Logger, type INestApplication } from '@nestjs/common';
import type { Server } from 'node:http';
import { loadEnvFiles, loadPlatformConfigOrExit } from '@dualwrite/config';
import { RunSettingsError, parseRunSettings } from '@dualwrite/reconcile';
import { createApiApp } from './app.factory';
import { HttpDrain } from './http/http-drain';

/** Longest wait at shutdown for the requests running when the signal came (their store calls are bounded too). */
const RUNNING_REQUESTS_WAIT_MS = 10_000;
/** Past this the process exits 1 whatever is still closing (the engine's drain alone may take 10 s). */
const SHUTDOWN_DEADLINE_MS = 30_000;

/**
 * SIGTERM or SIGINT: first no new requests (HttpDrain: the listener closes, requests on kept-alive connections get
 * 503 + Connection: close) and the running ones finish; only then app.close(), whose hooks drain the engine's
 * background work and close consumers, queues and stores. Nest's own shutdown hooks would run those before
 * closing the HTTP server, while new requests still start work. Exits 0 once closed.
 */
function stopOnSignals(app: INestApplication, drain: HttpDrain, logger: Logger): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.warn(`${signal} while stopping: already on it`);
      return;
    }
    stopping = true;
    setTimeout(() => {
      logger.error(`shutdown took longer than ${SHUTDOWN_DEADLINE_MS} ms; exiting`);
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS).unref();
    void (async () => {
      logger.log(`${signal}: refusing new requests, waiting for the running ones`);
      const left = await drain.stop(app.getHttpServer() as Server, RUNNING_REQUESTS_WAIT_MS);
      if (left > 0) logger.warn(`${left} requests still running after ${RUNNING_REQUESTS_WAIT_MS} ms were cut`);
      await app.close();
      logger.log('api stopped');
      process.exit(0);
    })().catch((error: unknown) => {
      logger.error(`shutdown failed: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    });
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

/** The distributed runs' settings (DW_RUNS_QUEUE, DW_RUNS_PREFIX; /admin/reconcile, /admin/copy): a bad one is one line, exit 78. */
function checkRunSettingsOrExit(): void {
  try {
    parseRunSettings(process.env);
  } catch (error) {
    if (!(error instanceof RunSettingsError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(78);
  }
}

async function main(): Promise<void> {
  loadEnvFiles();
  const config = loadPlatformConfigOrExit();
  checkRunSettingsOrExit();
  const drain = new HttpDrain();
  const app = await createApiApp(config, { httpDrain: drain });
  const logger = new Logger('Api');
  stopOnSignals(app, drain, logger);
  await app.listen(config.apiPort);
  logger.log(
    `api listening on port ${config.apiPort} (store B ${config.supabase ? 'configured' : 'not configured: degraded, store A only'}; docs at /admin/docs)`,
  );
}

void main();
