import { BadRequestException, Inject, Injectable, ServiceUnavailableException } from '@nestjs/common';
import { DUAL_WRITE_CONTROL_POOL } from '@dualwrite/dual-write';
import { ConsistencyCheck, InvalidEntityKeyError, type ConsistencyReport } from '@dualwrite/reconcile';
import { EntityRegistry, UnknownEntityError } from '@dualwrite/stores';
import type { Pool } from 'pg';
import { API_STORES } from '../../api.tokens';
import type { ApiStores } from '../../stores/api-stores';

/** One record checked on both stores (validateDataConsistency, @dualwrite/reconcile), with the stores and control database the api runs on. */
@Injectable()
export class ConsistencyAdminService {
  private readonly check: ConsistencyCheck | null;

  constructor(@Inject(API_STORES) stores: ApiStores, registry: EntityRegistry, @Inject(DUAL_WRITE_CONTROL_POOL) control: Pool) {
    this.check = stores.storeB ? new ConsistencyCheck({ entities: registry.all(), stores: { a: stores.storeA, b: stores.storeB }, control }) : null;
  }

  async validate(entity: string, id: string): Promise<ConsistencyReport> {
    if (!this.check) throw new ServiceUnavailableException('Store B (Supabase) is not configured (SUPABASE_URL, SUPABASE_SERVICE_ROLE_KEY): there is nothing to compare store A with.');
    try {
      return await this.check.validate(entity, id);
    } catch (error) {
      if (error instanceof UnknownEntityError || error instanceof InvalidEntityKeyError) throw new BadRequestException(error.message);
      throw error;
    }
  }
}
