import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { AdminHealthController } from './admin-health.controller';
import { ComponentHealthIndicators } from './component-health.indicators';
import { LivenessController } from './liveness.controller';

@Module({
  imports: [TerminusModule.forRoot({ errorLogStyle: 'json' })],
  controllers: [AdminHealthController, LivenessController],
  providers: [ComponentHealthIndicators],
})
export class HealthModule {}
