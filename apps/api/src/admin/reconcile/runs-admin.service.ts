import { BadRequestException, ConflictException, Inject, Injectable, NotFoundException, ServiceUnavailableException, type OnModuleDestroy } from '@nestjs/common';
import type { Pool } from 'pg';
import { DUAL_WRITE_CONTROL_POOL, FlagRepository, bullConnection } from '@dualwrite/dual-write';
import {
  CopyAlreadyRunningError,
  CopySourceNotPrimaryError,
  InvalidRunRequestError,
  RunAlreadyRunningError,
  RunCoordinator,
  parseRunSettings,
  type RunKind,
  type RunProgress,
  type StartRunRequest,
} from '@dualwrite/reconcile';
import { EntityRegistry, UnknownEntityError } from '@dualwrite/stores';
import type { PlatformConfig } from '@dualwrite/config';
import { API_STORES, PLATFORM_CONFIG } from '../../api.tokens';
import type { ApiStores } from '../../stores/api-stores';

export interface StartedRunView {
  runId: string;
  kind: RunKind;
  entities: string[];
  /** Where to read the run's progress. */
  statusUrl: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The runs' tables missing from the control database (PostgreSQL undefined_table) is a 503 saying how to add them. */
function missingTables(error: unknown): never {
  if ((error as { code?: unknown } | null)?.code === '42P01') {
    throw new ServiceUnavailableException('The distributed runs\' tables are missing from the control database: run `npm run setup` (it applies libs/reconcile/migrations).');
  }
  throw error;
}

/**
 * Distributed reconcile and copy runs over REST: a start records the run and queues it on DW_RUNS_QUEUE for the
 * workers (RunCoordinator) and answers at once; progress is read from the control database.
 */
@Injectable()
export class RunsAdminService implements OnModuleDestroy {
  private readonly coordinator: RunCoordinator;

  constructor(
    @Inject(PLATFORM_CONFIG) config: PlatformConfig,
    @Inject(API_STORES) private readonly stores: ApiStores,
    @Inject(DUAL_WRITE_CONTROL_POOL) control: Pool,
    registry: EntityRegistry,
  ) {
    const settings = parseRunSettings(process.env);
    const flags = new FlagRepository(control);
    this.coordinator = new RunCoordinator({
      entities: registry.all(),
      control,
      queue: { connection: bullConnection(config.redisUrl), queueName: settings.queueName, prefix: settings.prefix },
      primarySide: async () => ((await flags.read()).enableSupabasePrimary ? 'b' : 'a'),
    });
  }

  async onModuleDestroy(): Promise<void> {
    await this.coordinator.close();
  }

  async start(request: StartRunRequest): Promise<StartedRunView> {
    if (!this.stores.storeB) {
      throw new ServiceUnavailableException(`Store B (Supabase) is not configured (SUPABASE_URL, SUPABASE_SERVICE_ROLE_KEY): there is nothing to ${request.kind === 'copy' ? 'copy to or from' : 'reconcile with'}.`);
    }
    try {
      const started = await this.coordinator.start(request);
      return { ...started, statusUrl: `/admin/${request.kind}/runs/${started.runId}` };
    } catch (error) {
      if (error instanceof UnknownEntityError || error instanceof InvalidRunRequestError) throw new BadRequestException(error.message);
      if (error instanceof RunAlreadyRunningError) throw new ConflictException({ statusCode: 409, error: 'Conflict', message: error.message, runningRunId: error.runningRunId, entity: error.entity });
      if (error instanceof CopyAlreadyRunningError) throw new ConflictException({ statusCode: 409, error: 'Conflict', message: error.message, runningRunId: error.running?.runId ?? null, entity: error.entity });
      if (error instanceof CopySourceNotPrimaryError) throw new ConflictException({ statusCode: 409, error: 'Conflict', message: error.message, from: error.sourceSide });
      return missingTables(error);
    }
  }

  async progress(kind: RunKind, runId: string): Promise<RunProgress> {
    if (!UUID.test(runId)) throw new BadRequestException(`run id "${runId}" is not a uuid`);
    const progress = await this.coordinator.progress(runId).catch(missingTables);
    if (!progress || progress.kind !== kind) throw new NotFoundException(`No ${kind} run ${runId}.`);
    return progress;
  }

  async cancel(kind: RunKind, runId: string, caller: string): Promise<RunProgress> {
    await this.progress(kind, runId);
    try {
      return await this.coordinator.cancel(runId, caller);
    } catch (error) {
      if (error instanceof InvalidRunRequestError) throw new ConflictException(error.message);
      throw error;
    }
  }

  list(kind: RunKind, limit: number): Promise<RunProgress[]> {
    return this.coordinator.list(kind, limit).catch(missingTables);
  }
}
