import { BadRequestException, Inject, Injectable, NotFoundException, ServiceUnavailableException } from '@nestjs/common';
import { DUAL_WRITE_CONTROL_POOL, KeySync, OperationLedger } from '@dualwrite/dual-write';
import {
  DataRepair,
  RepairInputError,
  RepairRunRepository,
  parseReport,
  readReconcileRun,
  type PlannedKeyAction,
  type RepairActionKind,
  type RepairActionRecord,
  type RepairInput,
  type RepairPlan,
  type RepairResult,
  type RepairRunRecord,
} from '@dualwrite/reconcile';
import { EntityRegistry } from '@dualwrite/stores';
import type { Pool } from 'pg';
import { API_STORES } from '../../api.tokens';
import type { ApiStores } from '../../stores/api-stores';
import type { CompensateBody } from './compensate.schema';

/** Where a report sent in the body is named: in refusals and in repair_runs.report_file. */
const BODY_REPORT = 'body.report';

export type RepairPlanView = RepairPlan & { dryRun: true; counts: Partial<Record<RepairActionKind, number>> };
export type RepairResultView = RepairResult & { dryRun: false };

/**
 * compensate-data over REST: plans (dry run) or applies a repair of a reconcile run's findings with DataRepair
 * (@dualwrite/reconcile) on the api's stores, its control database and its KeySync (the api's breakers guard it),
 * and reads past repairs from repair_runs / repair_actions.
 */
@Injectable()
export class CompensateAdminService {
  private readonly repair: DataRepair | null;
  private readonly runs: RepairRunRepository;

  constructor(
    @Inject(API_STORES) stores: ApiStores,
    registry: EntityRegistry,
    @Inject(DUAL_WRITE_CONTROL_POOL) private readonly control: Pool,
    keySync: KeySync,
    ledger: OperationLedger,
  ) {
    this.repair = stores.storeB ? new DataRepair({ entities: registry.all(), stores: { a: stores.storeA, b: stores.storeB }, control, keySync, ledger }) : null;
    this.runs = new RepairRunRepository(control);
  }

  /** The plan, or with `apply` the repair and its re-check. Every refusal comes before anything is written. */
  async compensate(body: CompensateBody, caller: string): Promise<RepairPlanView | RepairResultView> {
    const repair = this.repair;
    if (!repair) throw new ServiceUnavailableException('Store B (Supabase) is not configured (SUPABASE_URL, SUPABASE_SERVICE_ROLE_KEY): there is nothing to repair.');
    return this.refusingBadInput(async () => {
      const input = await this.inputOf(body);
      if (!body.apply) {
        const plan = await repair.plan(input);
        return { dryRun: true as const, ...plan, counts: countActions(plan.actions) };
      }
      if (body.confirm !== input.runId) {
        throw new BadRequestException(
          `A repair writes to the secondary store: send "confirm": "${input.runId}" (the reconcile run id) to mean it, or leave out "apply" for a dry run. Nothing applied.`,
        );
      }
      const result = await repair.apply(input, { requestedBy: `${caller}: ${body.reason ?? ''}` });
      return { dryRun: false as const, ...result };
    });
  }

  list(limit: number): Promise<RepairRunRecord[]> {
    return this.refusingBadInput(() => this.runs.list(limit));
  }

  async get(repairId: string, actionLimit: number): Promise<{ run: RepairRunRecord; actions: RepairActionRecord[]; actionsTotal: number }> {
    const found = await this.refusingBadInput(() => this.runs.get(repairId, actionLimit));
    if (!found) throw new NotFoundException(`No repair ${repairId} in repair_runs.`);
    return found;
  }

  private inputOf(body: CompensateBody): Promise<RepairInput> {
    if (body.report !== undefined) return Promise.resolve(parseReport(JSON.stringify(body.report), BODY_REPORT));
    return readReconcileRun(this.control, body.runId ?? '');
  }

  /** A refused input as 400 naming what is wrong; the reconcile tables missing from the control database as 503. */
  private async refusingBadInput<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof RepairInputError) throw new BadRequestException(/nothing applied/i.test(error.message) ? error.message : `${error.message}; nothing applied`);
      if ((error as { code?: unknown }).code === '42P01') {
        throw new ServiceUnavailableException('The reconcile and repair tables are missing from the control database: run `npm run setup` (it applies libs/reconcile/migrations).');
      }
      throw error;
    }
  }
}

function countActions(actions: readonly PlannedKeyAction[]): Partial<Record<RepairActionKind, number>> {
  const counts: Partial<Record<RepairActionKind, number>> = {};
  for (const action of actions) counts[action.action] = (counts[action.action] ?? 0) + 1;
  return counts;
}
