import { z } from 'zod';
import { integerParam } from '../request-fields';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const uuid = (what: string) => z.string({ error: `must be ${what} (a uuid)` }).regex(UUID, `must be ${what} (a uuid)`);

/**
 * POST /admin/compensate: the findings to repair (a stored reconcile run, or a report as reconcile-data --report
 * writes it) and whether to apply. A dry run unless `apply`; applying needs the run id repeated in `confirm` (checked
 * once the input is read) and a `reason`, recorded in repair_runs.
 */
export const compensateBody = z
  .strictObject({
    runId: uuid('a reconcile run id').optional(),
    report: z
      .custom<Record<string, unknown>>((value) => typeof value === 'object' && value !== null && !Array.isArray(value), {
        error: 'must be a reconcile report: the JSON object reconcile-data --report writes',
      })
      .optional(),
    apply: z.boolean({ error: 'must be true or false' }).default(false),
    confirm: z.string({ error: 'must be the reconcile run id again' }).optional(),
    reason: z.string({ error: 'must be text' }).trim().min(1, 'must not be empty').max(500, 'must be at most 500 characters').optional(),
  })
  .superRefine((body, context) => {
    if ((body.runId === undefined) === (body.report === undefined)) {
      context.addIssue({ code: 'custom', path: ['runId'], message: 'give exactly one of "runId" and "report": the findings to repair' });
    }
    if (body.apply && body.reason === undefined) {
      context.addIssue({ code: 'custom', path: ['reason'], message: 'is required with "apply": true (why the repair is made; recorded in repair_runs)' });
    }
  });

export type CompensateBody = z.output<typeof compensateBody>;

export const repairListQuery = z.strictObject({ limit: integerParam(1, 500, 50) });

export const repairRunQuery = z.strictObject({ actions: integerParam(1, 10_000, 1_000) });

export const repairIdParam = uuid('a repair id');
