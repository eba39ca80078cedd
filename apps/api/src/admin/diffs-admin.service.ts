import { Injectable } from '@nestjs/common';
import { DiffRepository, type DiffStatsRow, type StoredDiff } from '@dualwrite/dual-write';
import type { DiffListQuery } from './diffs.schema';

export interface DiffStatsView {
  days: number;
  /** Diffs per severity over the period, all endpoints together. */
  totals: { info: number; warning: number; error: number };
  byEndpoint: DiffStatsRow[];
}

export interface DiffPage {
  diffs: StoredDiff[];
  /** Pass as `before` for the next (older) page; null on the last page. */
  nextBefore: number | null;
}

/** dual_write_diffs for operators: stats, a filtered newest-first list, and cleanup of old info diffs. */
@Injectable()
export class DiffsAdminService {
  constructor(private readonly repository: DiffRepository) {}

  async stats(days: number): Promise<DiffStatsView> {
    const byEndpoint = await this.repository.stats(days);
    const totals = { info: 0, warning: 0, error: 0 };
    for (const row of byEndpoint) totals[row.severity] += row.count;
    return { days, totals, byEndpoint };
  }

  async list(query: DiffListQuery): Promise<DiffPage> {
    const diffs = await this.repository.list({
      severity: query.severity,
      entity: query.entity,
      apiEndpoint: query.endpoint,
      unresolvedOnly: query.unresolved ?? false,
      beforeId: query.before,
      limit: query.limit,
    });
    const last = diffs.at(-1);
    return { diffs, nextBefore: diffs.length === query.limit && last ? last.id : null };
  }

  async cleanup(days: number): Promise<{ days: number; deleted: number }> {
    return { days, deleted: await this.repository.cleanup(days) };
  }
}
