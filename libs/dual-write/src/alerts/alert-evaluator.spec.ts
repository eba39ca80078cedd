import { modeOf } from '../flags/dual-write-mode';
import { AlertEvaluator } from './alert-evaluator';
import type { AlertSnapshot, LatencySample } from './alert.types';
import type { PublishedBreakerState } from './breaker-state-board';
import { RollbackGuard } from './rollback-guard';

const AT = new Date('2026-11-28T12:00:00.000Z');
const PHASE_1 = modeOf({ enableDualWrite: false, enableSupabasePrimary: false });
const PHASE_2 = modeOf({ enableDualWrite: true, enableSupabasePrimary: false });
const PHASE_3 = modeOf({ enableDualWrite: true, enableSupabasePrimary: true });
const MINUTE = 60_000;

/** Latency of one phase: `kinds` of write (entity and operation) with their p95, writes and span. */
function latency(mode: LatencySample['mode'], kinds: Record<string, { p95Ms: number; samples: number; spanMs?: number }>): LatencySample {
  const groups = Object.entries(kinds).map(([kind, figures]) => {
    const [operation, entity] = kind.split(' ') as [string, string];
    return { entity, operation, p95Ms: figures.p95Ms, samples: figures.samples, spanMs: figures.spanMs ?? 10 * MINUTE };
  });
  const samples = groups.reduce((sum, group) => sum + group.samples, 0);
  return { mode, p95Ms: Math.max(...groups.map((group) => group.p95Ms)), samples, spanMs: Math.max(...groups.map((group) => group.spanMs)), groups };
}

/** A quiet phase 2, entered an hour ago: every rule below its threshold. */
function snapshot(overrides: Partial<AlertSnapshot> = {}): AlertSnapshot {
  return {
    at: AT,
    mode: PHASE_2,
    flagsVersion: 7,
    lastModeChange: { at: new Date(AT.getTime() - 60 * MINUTE), from: PHASE_1 },
    lastAdvance: { at: new Date(AT.getTime() - 60 * MINUTE), from: PHASE_1 },
    recentDualWrites: { since: new Date(AT.getTime() - 5 * MINUTE), total: 100, secondaryErrors: 0, partialFailures: 0 },
    latency: { current: latency('dual-primary-a', { 'create budgets': { p95Ms: 50, samples: 500 } }), previous: latency('primary-only', { 'create budgets': { p95Ms: 45, samples: 1000 } }) },
    unresolvedErrorDiffs: 0,
    breakers: [breaker('prisma', 'closed'), breaker('supabase', 'closed')],
    ...overrides,
  };
}

function breaker(store: string, state: PublishedBreakerState['state'], downForMs = 0, process = 'api-1'): PublishedBreakerState {
  const downSince = state === 'closed' ? null : new Date(AT.getTime() - downForMs);
  return { store, state, since: downSince ?? new Date(AT.getTime() - 60 * MINUTE), downSince, process, reportedAt: AT };
}

const evaluator = new AlertEvaluator();
const rules = (value: AlertSnapshot) => evaluator.evaluate(value).map((alert) => alert.key);

describe('AlertEvaluator', () => {
  it('raises nothing while every figure is under its threshold', () => {
    expect(evaluator.evaluate(snapshot())).toEqual([]);
  });

  it('secondary error rate above 5 % raises secondary-error-rate, which rolls back', () => {
    const [alert] = evaluator.evaluate(snapshot({ recentDualWrites: { since: AT, total: 40, secondaryErrors: 3, partialFailures: 0 } }));

    expect(alert).toMatchObject({ rule: 'secondary-error-rate', severity: 'critical', rollsBack: true, mode: 'dual-primary-a' });
    expect(alert?.figures).toMatchObject({ rate: 0.075, secondaryErrors: 3, writes: 40 });
    expect(alert?.summary).toContain('7.5 % of 40 writes');
  });

  it('secondary error rate of exactly 5 %, or above it on fewer than 20 writes, raises nothing', () => {
    expect(rules(snapshot({ recentDualWrites: { since: AT, total: 100, secondaryErrors: 5, partialFailures: 0 } }))).toEqual([]);
    expect(rules(snapshot({ recentDualWrites: { since: AT, total: 19, secondaryErrors: 19, partialFailures: 0 } }))).toEqual([]);
  });

  it('p95 of a kind of write up more than 20 % on the same kind in the previous phase raises primary-latency-regression, which rolls back', () => {
    const [alert] = evaluator.evaluate(
      snapshot({
        latency: {
          current: latency('dual-primary-a', { 'create budgets': { p95Ms: 61, samples: 300 }, 'update budgets': { p95Ms: 20, samples: 200 } }),
          previous: latency('primary-only', { 'create budgets': { p95Ms: 50, samples: 600 }, 'update budgets': { p95Ms: 19, samples: 400 } }),
        },
      }),
    );

    expect(alert).toMatchObject({ rule: 'primary-latency-regression', rollsBack: true });
    expect(alert?.figures).toMatchObject({ kind: 'create of budgets', p95Ms: 61, previousP95Ms: 50, increase: 0.22, previousMode: 'primary-only' });
    expect(alert?.summary).toContain('create of budgets is 61 ms in dual-primary-a (300 writes over 600 s)');
  });

  it('a burst of 42 updates of one row after an idle phase 1 raises nothing (p95 69 ms against 2 ms over 1000 creates)', () => {
    const burst = latency('dual-primary-a', { 'update budgets': { p95Ms: 69, samples: 42, spanMs: 800 } });
    const idle = latency('primary-only', { 'create budgets': { p95Ms: 2, samples: 1000 } });

    expect(rules(snapshot({ latency: { current: burst, previous: idle } }))).toEqual([]);
  });

  it('kinds of write compared only with the same kind: a slow kind the previous phase never ran raises nothing', () => {
    const current = latency('dual-primary-a', { 'create budgets': { p95Ms: 10, samples: 500 }, 'delete budgets': { p95Ms: 400, samples: 500 } });
    const previous = latency('primary-only', { 'create budgets': { p95Ms: 10, samples: 500 } });

    expect(rules(snapshot({ latency: { current, previous } }))).toEqual([]);
  });

  it('a rise over too few writes or too short a time on either side, or without a previous phase, raises nothing', () => {
    const slow = (samples: number, spanMs?: number) => latency('dual-primary-a', { 'create budgets': { p95Ms: 500, samples, spanMs } });
    const before = (samples: number, spanMs?: number) => latency('primary-only', { 'create budgets': { p95Ms: 50, samples, spanMs } });

    expect(rules(snapshot({ latency: { current: slow(99), previous: before(1000) } }))).toEqual([]);
    expect(rules(snapshot({ latency: { current: slow(1000), previous: before(99) } }))).toEqual([]);
    expect(rules(snapshot({ latency: { current: slow(1000, 59_000), previous: before(1000) } }))).toEqual([]);
    expect(rules(snapshot({ latency: { current: slow(1000), previous: before(1000, 59_000) } }))).toEqual([]);
    expect(rules(snapshot({ latency: { current: slow(1000), previous: null } }))).toEqual([]);
    expect(rules(snapshot({ latency: { current: slow(1000), previous: before(1000) } }))).toEqual(['primary-latency-regression']);
  });

  it('more than 10 unresolved error diffs raises unresolved-error-diffs, which does not roll back', () => {
    expect(rules(snapshot({ unresolvedErrorDiffs: 10 }))).toEqual([]);
    expect(evaluator.evaluate(snapshot({ unresolvedErrorDiffs: 11 }))).toEqual([
      expect.objectContaining({ rule: 'unresolved-error-diffs', rollsBack: false, figures: { unresolved: 11, threshold: 10 } }),
    ]);
  });

  it('a breaker not closed for over 5 minutes raises breaker-open for that store, counted across processes', () => {
    const alerts = evaluator.evaluate(
      snapshot({
        breakers: [
          breaker('prisma', 'closed'),
          breaker('supabase', 'half_open', 6 * MINUTE, 'api-1'),
          breaker('supabase', 'open', 7 * MINUTE, 'worker-1'),
        ],
      }),
    );

    expect(alerts).toEqual([expect.objectContaining({ rule: 'breaker-open', key: 'breaker-open:supabase', rollsBack: false })]);
    expect(alerts[0]?.figures).toMatchObject({ store: 'supabase', state: 'open', downForMs: 7 * MINUTE, processes: 2 });
  });

  it('a breaker open for 5 minutes or less raises nothing', () => {
    expect(rules(snapshot({ breakers: [breaker('prisma', 'closed'), breaker('supabase', 'open', 5 * MINUTE)] }))).toEqual([]);
  });

  it('every store breaker open raises both-stores-down', () => {
    expect(rules(snapshot({ breakers: [breaker('prisma', 'open', MINUTE), breaker('supabase', 'isolated', MINUTE)] }))).toEqual(['both-stores-down']);
  });

  it('one store known (degraded, store A only) is never both stores down', () => {
    expect(rules(snapshot({ breakers: [breaker('prisma', 'open', MINUTE)] }))).toEqual([]);
  });

  it('more than 10 % of writes failing on exactly one store raises partial-failure-rate', () => {
    const [alert] = evaluator.evaluate(snapshot({ recentDualWrites: { since: AT, total: 50, secondaryErrors: 0, partialFailures: 6 } }));

    expect(alert).toMatchObject({ rule: 'partial-failure-rate', rollsBack: false, figures: { rate: 0.12, partialFailures: 6, writes: 50, threshold: 0.1 } });
  });

  it('thresholds are configurable', () => {
    const strict = new AlertEvaluator({ unresolvedErrorDiffs: 0, secondaryErrorRate: 0.01, minOpsForRates: 10 });
    const alerts = strict.evaluate(snapshot({ unresolvedErrorDiffs: 1, recentDualWrites: { since: AT, total: 10, secondaryErrors: 1, partialFailures: 1 } }));

    expect(alerts.map((alert) => alert.rule)).toEqual(['secondary-error-rate', 'unresolved-error-diffs']);
  });
});

describe('the last safe mode the guard rolls back to', () => {
  it('is the phase the current one was entered from', () => {
    expect(RollbackGuard.targetOf(snapshot())?.name).toBe('primary-only');
  });

  it('skips a step back taken meanwhile: in phase 2 reached from 3, it is still phase 1 (where phase 2 was entered from)', () => {
    const value = snapshot({ lastModeChange: { at: AT, from: PHASE_3 }, lastAdvance: { at: new Date(AT.getTime() - 60 * MINUTE), from: PHASE_1 } });
    expect(RollbackGuard.targetOf(value)?.name).toBe('primary-only');
  });

  it('is the phase before when the history does not say, and none in phase 1', () => {
    expect(RollbackGuard.targetOf(snapshot({ mode: PHASE_3, lastModeChange: null, lastAdvance: null }))?.name).toBe('dual-primary-a');
    expect(RollbackGuard.targetOf(snapshot({ mode: PHASE_1, lastModeChange: null, lastAdvance: null }))).toBeNull();
  });
});
