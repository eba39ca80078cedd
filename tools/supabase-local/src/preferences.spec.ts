import { PostgrestError } from './postgrest-errors';
import { checkMaxAffected, parsePreferences, preferenceApplied, type PreferAction, type Preferences } from './preferences';
import { insertStatus } from './table-handler';

function refusal(header: string | string[], action: PreferAction = 'update'): PostgrestError {
  try {
    parsePreferences(header, action);
  } catch (error) {
    if (error instanceof PostgrestError) return error;
    throw error;
  }
  throw new Error(`"${String(header)}" was not refused`);
}

describe('Prefer header parsing (PostgREST rules, supabase-local refusals)', () => {
  it('reads every implemented preference from one comma-separated header', () => {
    const prefer = parsePreferences(
      'handling=strict, return=representation, count=planned, resolution=merge-duplicates, missing=default, tx=rollback, max-affected=5',
      'update',
    );
    expect(prefer).toEqual<Preferences>({
      handling: 'strict',
      return: 'representation',
      count: 'planned',
      resolution: 'merge-duplicates',
      missing: 'default',
      tx: 'rollback',
      maxAffected: 5,
    });
  });

  it('reads several Prefer headers like one list', () => {
    expect(parsePreferences(['return=minimal', 'tx=commit, missing=null'], 'insert')).toMatchObject({ return: 'minimal', tx: 'commit', missing: 'null' });
  });

  it('keeps the first occurrence of a preference, across headers too', () => {
    expect(parsePreferences(['tx=commit, tx=rollback', 'return=minimal', 'return=representation'], 'insert')).toMatchObject({
      tx: 'commit',
      return: 'minimal',
    });
  });

  it('no header: nothing preferred', () => {
    expect(Object.values(parsePreferences(undefined, 'read')).every((value) => value === undefined)).toBe(true);
  });

  it('lenient (the default) ignores unknown and malformed preferences', () => {
    expect(parsePreferences('foo, count=bogus, tx=maybe, max-affected=many, return=representation', 'update')).toMatchObject({
      count: undefined,
      tx: undefined,
      maxAffected: undefined,
      return: 'representation',
    });
  });

  it('explicit handling=lenient also ignores them', () => {
    expect(parsePreferences('handling=lenient, foo', 'read').handling).toBe('lenient');
  });

  it('strict refuses unknown preferences with 400 PGRST122 naming each in header order', () => {
    const error = refusal('foo, handling=strict, bar=1');
    expect([error.status, error.code, error.message, error.details]).toEqual([400, 'PGRST122', 'Invalid preferences given with handling=strict', 'Invalid preferences: foo, bar=1']);
  });

  it('strict refuses a malformed value of a known preference', () => {
    expect(refusal('handling=strict, count=bogus').details).toBe('Invalid preferences: count=bogus');
  });

  it('strict refuses a max-affected that is not a non-negative integer', () => {
    expect(refusal('handling=strict, max-affected=-1').details).toBe('Invalid preferences: max-affected=-1');
  });

  it.each<PreferAction>(['read', 'insert'])('strict refuses max-affected on a %s, which has no affected rows to limit', (action) => {
    expect(refusal('handling=strict, max-affected=1', action).details).toBe('Invalid preferences: max-affected=1');
  });

  it.each<PreferAction>(['update', 'delete', 'rpc'])('max-affected applies to %s under strict handling', (action) => {
    expect(parsePreferences('handling=strict, max-affected=0', action).maxAffected).toBe(0);
  });

  it('max-affected is ignored without handling=strict, as in PostgREST', () => {
    expect(parsePreferences('max-affected=1', 'delete').maxAffected).toBeUndefined();
  });

  it.each(['return=headers-only', 'params=single-object', 'timezone=UTC', 'timeout=5'])(
    'refuses %s, which PostgREST has and supabase-local does not implement, even under lenient handling',
    (token) => {
      const error = refusal(`count=exact, ${token}`, 'insert');
      expect([error.status, error.code, error.message, error.details]).toEqual([400, 'PGRST122', 'Preferences not implemented by supabase-local', `Not implemented: ${token}`]);
      expect(error.hint).toMatch(/supabase-local implements/);
    },
  );

  it('under strict an unimplemented preference is named with the unknown ones', () => {
    expect(refusal('handling=strict, foo, timezone=UTC').details).toBe('Invalid preferences: foo, timezone=UTC');
  });
});

describe('Preference-Applied (what PostgREST names per action)', () => {
  const all = parsePreferences(
    'tx=rollback, handling=strict, max-affected=3, count=exact, return=representation, missing=default, resolution=merge-duplicates',
    'update',
  );

  it('insert: resolution, missing, return, count, tx, handling in that order (max-affected never applies)', () => {
    expect(preferenceApplied(all, 'insert')).toBe('resolution=merge-duplicates, missing=default, return=representation, count=exact, tx=rollback, handling=strict');
  });

  it('update: missing, return, count, tx, handling, max-affected', () => {
    expect(preferenceApplied(all, 'update')).toBe('missing=default, return=representation, count=exact, tx=rollback, handling=strict, max-affected=3');
  });

  it('delete: return, count, tx, handling, max-affected', () => {
    expect(preferenceApplied(all, 'delete')).toBe('return=representation, count=exact, tx=rollback, handling=strict, max-affected=3');
  });

  it('read: count, tx, handling', () => {
    expect(preferenceApplied(all, 'read')).toBe('count=exact, tx=rollback, handling=strict');
  });

  it('rpc: count, tx, handling, max-affected', () => {
    expect(preferenceApplied(all, 'rpc')).toBe('count=exact, tx=rollback, handling=strict, max-affected=3');
  });

  it('names only what was asked for, never an ignored preference', () => {
    expect(preferenceApplied(parsePreferences('foo, max-affected=2, return=minimal', 'delete'), 'delete')).toBe('return=minimal');
  });

  it('no preference honoured: no header', () => {
    expect(preferenceApplied(parsePreferences('foo', 'read'), 'read')).toBeUndefined();
  });
});

describe('max-affected check', () => {
  const strict = parsePreferences('handling=strict, max-affected=2', 'delete');

  it('passes at the limit', () => {
    expect(() => checkMaxAffected(strict, 2)).not.toThrow();
  });

  it('fails past the limit with 400 PGRST124 naming the count', () => {
    expect(() => checkMaxAffected(strict, 3)).toThrow(
      expect.objectContaining({ status: 400, code: 'PGRST124', message: 'Query result exceeds max-affected preference constraint', details: 'The query affects 3 rows' }),
    );
  });

  it('never fails without strict handling', () => {
    expect(() => checkMaxAffected(parsePreferences('max-affected=0', 'delete'), 100)).not.toThrow();
  });
});

describe('insert status (PostgREST rule)', () => {
  it.each([
    [undefined, 1, 201],
    [undefined, 0, 201],
    ['merge-duplicates', 1, 201],
    ['merge-duplicates', 0, 200],
    ['ignore-duplicates', 1, 201],
    ['ignore-duplicates', 0, 201],
  ] as const)('resolution %s with %i row(s) inserted answers %i', (resolution, inserted, status) => {
    expect(insertStatus(resolution, inserted)).toBe(status);
  });
});
