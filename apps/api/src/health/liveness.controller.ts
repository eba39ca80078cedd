import { Controller, Get } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';

/** Liveness for orchestrators: the process answers HTTP. Needs no token and touches no dependency. */
@ApiTags('health')
@Controller('health')
export class LivenessController {
  @Get('live')
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }
}
