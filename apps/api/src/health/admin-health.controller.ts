import { Controller, Get, HttpException, HttpStatus } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, type HealthCheckResult } from '@nestjs/terminus';
import { AdminRole } from '../admin-auth/admin-role.decorator';
import { ComponentHealthIndicators } from './component-health.indicators';

export type AdminHealthReport = HealthCheckResult & { degraded: boolean };

/** Readiness of every component the platform needs: store A, store B (unless degraded) and Redis. */
@ApiTags('admin')
@ApiBearerAuth()
@AdminRole('viewer')
@Controller('admin/health')
export class AdminHealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly components: ComponentHealthIndicators,
  ) {}

  @Get()
  @HealthCheck()
  async check(): Promise<AdminHealthReport> {
    const degraded = this.components.degraded;
    try {
      const result = await this.health.check([
        () => this.components.storeA(),
        () => this.components.storeB(),
        () => this.components.redisPing(),
      ]);
      return { ...result, degraded };
    } catch (error) {
      // Terminus answers 503 with the report as the body; keep the degraded flag in it.
      if (error instanceof HttpException && error.getStatus() === HttpStatus.SERVICE_UNAVAILABLE) {
        const report = error.getResponse();
        throw new HttpException({ ...(typeof report === 'object' ? report : { message: report }), degraded }, HttpStatus.SERVICE_UNAVAILABLE);
      }
      throw error;
    }
  }
}
