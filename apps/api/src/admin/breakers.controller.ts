import { Controller, Get, HttpCode, NotFoundException, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiNotFoundResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { StoreBreakers, type StoreBreakerState } from '@dualwrite/dual-write';
import { AdminRole } from '../admin-auth/admin-role.decorator';

/** This process's per-store circuit breakers (each api and worker process keeps its own). */
@ApiTags('admin')
@ApiBearerAuth()
@AdminRole('viewer')
@Controller('admin/breakers')
export class BreakersController {
  constructor(private readonly breakers: StoreBreakers) {}

  @Get()
  @ApiOperation({ summary: "This process's breaker per store: state, since when, failures in the window, settings" })
  snapshot(): StoreBreakerState[] {
    return this.breakers.snapshot();
  }

  @Post(':store/reset')
  @HttpCode(200)
  @AdminRole('operator')
  @ApiOperation({ summary: 'Close a store breaker by hand, forgetting its failures and any isolation' })
  @ApiParam({ name: 'store', description: 'A store name, e.g. prisma or supabase' })
  @ApiNotFoundResponse({ description: 'No breaker for that store name' })
  reset(@Param('store') store: string): StoreBreakerState {
    const known = this.breakers.snapshot().map((breaker) => breaker.store);
    // StoreBreakers creates a breaker on first use; a typo must not invent one.
    if (!known.includes(store)) {
      throw new NotFoundException(`No breaker for store "${store}"; known stores: ${known.join(', ')}.`);
    }
    return this.breakers.reset(store);
  }
}
