import { ConflictException, Inject, Injectable } from '@nestjs/common';
import { FlagRepository, FlagSwitcher, FlipInProgressError, FlipRefusedError, PhaseGateRefusedError, StaleFlagsError, type FlagHistoryEntry } from '@dualwrite/dual-write';
import { API_STORES } from '../api.tokens';
import type { ApiStores } from '../stores/api-stores';
import type { FlagChangeBody } from './flag-change.schema';
import { flagViewOf, type FlagView } from './flag-view';
import { storeNamesOf, type StoreNames } from './store-names';

export type FlagChangeView = FlagView & { before: FlagView };

/**
 * Reads the stored flags and changes them through FlagSwitcher: every other process hears of it at once, and a
 * change of the primary goes through the fenced barrier (PROTOCOL.md).
 */
@Injectable()
export class FlagsAdminService {
  private readonly storeNames: StoreNames;

  constructor(
    private readonly repository: FlagRepository,
    private readonly flags: FlagSwitcher,
    @Inject(API_STORES) stores: ApiStores,
  ) {
    this.storeNames = storeNamesOf(stores);
  }

  /** The stored flags, not this process's cached copy: an operator about to change them needs the version. */
  async current(): Promise<FlagView> {
    return flagViewOf(await this.repository.read(), this.storeNames);
  }

  async change(body: FlagChangeBody, changedBy: string): Promise<FlagChangeView> {
    const next = {
      ...(body.enableDualWrite === undefined ? {} : { enableDualWrite: body.enableDualWrite }),
      ...(body.enableSupabasePrimary === undefined ? {} : { enableSupabasePrimary: body.enableSupabasePrimary }),
    };
    try {
      const { before, after } = await this.flags.change({
        next,
        changedBy,
        reason: body.reason,
        source: 'api',
        expectedVersion: body.expectedVersion,
        force: body.force,
      });
      return { ...flagViewOf(after, this.storeNames), before: flagViewOf(before, this.storeNames) };
    } catch (error) {
      if (error instanceof StaleFlagsError) {
        throw new ConflictException({
          statusCode: 409,
          error: 'Conflict',
          message: `${error.message} Re-read GET /admin/flags and send its version as expectedVersion.`,
          expectedVersion: error.expectedVersion,
          currentVersion: error.currentVersion,
        });
      }
      if (error instanceof PhaseGateRefusedError) {
        throw new ConflictException({ statusCode: 409, error: 'Conflict', message: error.message, from: error.from, to: error.to, unmet: error.unmet });
      }
      if (error instanceof FlipRefusedError) {
        throw new ConflictException({ statusCode: 409, error: 'Conflict', message: error.message });
      }
      if (error instanceof FlipInProgressError) {
        throw new ConflictException({ statusCode: 409, error: 'Conflict', message: error.message, fencedVersion: error.fence.version, fencedBy: error.fence.fencedBy });
      }
      throw error;
    }
  }

  history(limit: number): Promise<FlagHistoryEntry[]> {
    return this.repository.history(limit);
  }
}
