import { z } from 'zod';

const emptyAsUndefined = (value: unknown) => (value === '' ? undefined : value);

/** An integer query parameter within [min, max]; absent or empty means `fallback`. */
export function integerParam(min: number, max: number, fallback: number) {
  const range = `must be an integer from ${min} to ${max}`;
  return z.preprocess(emptyAsUndefined, z.coerce.number({ error: range }).int(range).min(min, range).max(max, range).default(fallback));
}

/** An optional `true` / `false` query parameter. */
export const booleanParam = z.preprocess(
  emptyAsUndefined,
  z
    .enum(['true', 'false'], { error: 'must be true or false' })
    .optional()
    .transform((value) => (value === undefined ? undefined : value === 'true')),
);

/** An optional free-text query parameter (empty means absent). */
export const textParam = z.preprocess(emptyAsUndefined, z.string({ error: 'must be given once' }).optional());
