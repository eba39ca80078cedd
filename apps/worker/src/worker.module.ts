import { Module, type DynamicModule } from '@nestjs/common';
import { WorkerHeartbeatService } from './worker-heartbeat.service';
import { WORKER_REDIS_URL } from './worker.constants';

/**
 * The worker process. Its queues (dw-replay, dw-diffs, dw-reconcile, dw-backup) and crons
 * arrive with the dual-write engine, reconcile and backup issues.
 */
@Module({})
export class WorkerModule {
  static forRoot(options: { redisUrl: string }): DynamicModule {
    return {
      module: WorkerModule,
      providers: [{ provide: WORKER_REDIS_URL, useValue: options.redisUrl }, WorkerHeartbeatService],
    };
  }
}
