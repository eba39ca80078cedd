import { Module } from '@nestjs/common';
import { DualWriteMetricsController } from './dual-write-metrics.controller';

/**
 * Mounts `GET /metrics`. Import it next to `DualWriteModule.forRoot(...)`, which provides the registry
 * (PrometheusDualWriteMetrics) the engine reports into.
 */
@Module({ controllers: [DualWriteMetricsController] })
export class DualWriteMetricsModule {}
