import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AdminRole } from '../admin-auth/admin-role.decorator';
import { DEAD_OPERATIONS_SHOWN, ReplayStatusService, type ReplayStatusView } from './replay-status.service';

/** The replay of secondary writes: ledger counts, queue depth and the dead letters. */
@ApiTags('admin')
@ApiBearerAuth()
@AdminRole('viewer')
@Controller('admin/replay')
export class ReplayController {
  constructor(private readonly replay: ReplayStatusService) {}

  @Get()
  @ApiOperation({ summary: `Ledger counts by status, dw-replay queue depth, and the ${DEAD_OPERATIONS_SHOWN} oldest dead operations` })
  status(): Promise<ReplayStatusView> {
    return this.replay.status();
  }
}
