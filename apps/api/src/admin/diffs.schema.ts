import { z } from 'zod';
import { booleanParam, integerParam, textParam } from './request-fields';

export const DIFF_SEVERITIES = ['info', 'warning', 'error'] as const;
export const MAX_DIFF_PAGE = 500;

export const diffStatsQuery = z.object({ days: integerParam(1, 3650, 7) });

export const diffListQuery = z.object({
  severity: z.preprocess((value) => (value === '' ? undefined : value), z.enum(DIFF_SEVERITIES, { error: `must be one of ${DIFF_SEVERITIES.join(', ')}` }).optional()),
  entity: textParam,
  endpoint: textParam,
  unresolved: booleanParam,
  before: z.preprocess((value) => (value === '' ? undefined : value), z.coerce.number({ error: 'must be a diff id (a positive integer)' }).int('must be a diff id (a positive integer)').positive('must be a diff id (a positive integer)').optional()),
  limit: integerParam(1, MAX_DIFF_PAGE, 50),
});

export type DiffListQuery = z.output<typeof diffListQuery>;

export const diffCleanupBody = z.strictObject({
  days: z.number({ error: 'is required: an integer number of days (info diffs older than that are deleted)' }).int('must be an integer').nonnegative('must be >= 0'),
});
