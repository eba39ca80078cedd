import { z } from 'zod';
import { integerParam } from './request-fields';

const flag = z.boolean({ error: 'must be true or false' }).optional();

/** PUT /admin/flags. Unknown fields are refused so a misspelt flag is never silently ignored. */
export const flagChangeBody = z
  .strictObject({
    enableDualWrite: flag,
    enableSupabasePrimary: flag,
    reason: z
      .string({ error: 'is required: say why the flags change (it goes in the flag history)' })
      .trim()
      .min(1, 'is required: say why the flags change (it goes in the flag history)'),
    expectedVersion: z.number({ error: 'must be an integer' }).int('must be an integer').nonnegative('must be >= 0').optional(),
    // Past the phase gates although a condition is unmet; the history records what was overridden beside the reason.
    force: z.boolean({ error: 'must be true or false' }).optional(),
  })
  .refine((body) => body.enableDualWrite !== undefined || body.enableSupabasePrimary !== undefined, {
    message: 'name at least one flag to change: enableDualWrite or enableSupabasePrimary',
    path: ['enableDualWrite'],
  });

export type FlagChangeBody = z.output<typeof flagChangeBody>;

export const flagHistoryQuery = z.object({ limit: integerParam(1, 500, 50) });
