import { z } from 'zod';

export const abandonBody = z.strictObject({
  reason: z.string({ error: 'is required: say why the operation is abandoned (e.g. the reconcile run that dealt with its row)' }).trim().min(1, 'must not be empty'),
});
