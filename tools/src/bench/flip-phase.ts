import type { Pool } from 'pg';
import { v7 as uuidv7 } from 'uuid';
import type { StorePlugin } from '@dualwrite/stores';
import { budgetsEntity } from '@dualwrite/example-domain';
import type { FlipOptions } from './bench-args';
import { FailureTally, type BenchApi } from './bench-api';
import { describeLedger, unsettledIn, waitUntilSettled, type LedgerCounts } from './ledger-statuses';
import { openLoop, percentile, type LoadResult } from './load';
import { compareStores, type StoreComparison } from './store-rows';

/** The flip to phase 3 starts this long into the load (a quarter in when the load is shorter). */
const FLIP_AFTER_MS = 3_000;
/** One write in this many updates a budget the phase created; the others create one. */
const UPDATE_EVERY = 4;
/** Updates pick among the latest budgets created, so some meet a row whose sync may still be running. */
const UPDATE_AMONG = 50;
/** The flip's window for the latency split: from the PUT to its answer, at least this long. */
const FLIP_WINDOW_MIN_MS = 1_000;
/** Longest wait for the phase's writes to settle in the ledger once the load stopped. */
const SETTLE_TIMEOUT_MS = 120_000;
/** The target beside the flip's duration. */
export const FLIP_TARGET_MS = 5_000;

/** The body of a bench budget create (the same shape in every part of the bench). */
export function budgetPayload(ownerId: string, label: string, index: number): Record<string, unknown> {
  return { ownerId, name: `${label} ${index}`, amount: `${index % 1000}.25`, currency: 'EUR', metadata: { i: index } };
}

export interface TimedFlip {
  /** How long PUT /admin/flags took, ms. */
  ms: number;
  status: number;
  /** Since the load started, ms. */
  startedMs: number;
  endedMs: number;
  /** The mode and flag versions it went through, or why it was refused. */
  detail: string;
}

export interface LatencySample {
  /** When the request was sent, ms since the load started. */
  startedMs: number;
  latencyMs: number;
}

export interface FlipLatencies {
  /** Sent while the flip ran (from the PUT to its answer, at least `minMs`). */
  during: number[];
  /** Sent before the flip (phase 2) and after its window (phase 3). */
  before: number[];
  after: number[];
}

/** The latencies of the requests by when they were sent: before the flip, during it, after it. */
export function splitAtFlip(samples: LatencySample[], flip: { startedMs: number; endedMs: number }, minMs = FLIP_WINDOW_MIN_MS): FlipLatencies {
  const end = Math.max(flip.endedMs, flip.startedMs + minMs);
  const split: FlipLatencies = { during: [], before: [], after: [] };
  for (const sample of samples) {
    const part = sample.startedMs < flip.startedMs ? split.before : sample.startedMs <= end ? split.during : split.after;
    part.push(sample.latencyMs);
  }
  return split;
}

export interface FlipReport {
  options: FlipOptions;
  flipAfterMs: number;
  load: LoadResult;
  creates: number;
  updates: number;
  failures: FailureTally;
  toB: TimedFlip;
  back: TimedFlip;
  latency: FlipLatencies;
  ledger: LedgerCounts;
  /** Every budget the phase tried to create, on both stores. */
  rows: StoreComparison;
  /** The budgets whose create was answered 201, on both stores. */
  acknowledged: StoreComparison & { sent: number };
}

export interface FlipPhaseContext {
  /** The load's client (the shared pool). */
  api: BenchApi;
  /** PUT /admin/flags on connections of its own: held writes fill the shared pool while the fence is up. */
  admin: BenchApi;
  control: Pool;
  storeA: StorePlugin;
  storeB: StorePlugin;
  ownerId: string;
}

async function timedFlip(admin: BenchApi, toStoreB: boolean, reason: string, origin: number): Promise<TimedFlip> {
  const started = performance.now();
  // Forced past the phase gates (the bench's rows were never copied by copy-data): the barrier is what it measures.
  const answer = await admin.request('PUT', '/admin/flags', { enableDualWrite: true, enableSupabasePrimary: toStoreB, reason, force: true });
  const ended = performance.now();
  const body = (answer.body ?? {}) as { version?: number; before?: { version?: number }; mode?: { description?: string }; message?: unknown };
  const detail =
    answer.status === 200
      ? `${body.mode?.description ?? 'changed'}, flag version ${body.before?.version ?? '?'} → ${body.version ?? '?'}`
      : `answered ${answer.status}: ${typeof body.message === 'string' ? body.message : JSON.stringify(body)}`;
  return { ms: ended - started, status: answer.status, startedMs: started - origin, endedMs: ended - origin, detail };
}

/**
 * In mode 2, an open-loop write load (budget creates, and updates of budgets it created) at `options.rate`; a few
 * seconds in, the primary flips to store B (phase 3) through the fenced barrier while the load goes on until its
 * end. Then the phase's writes settle in the ledger, the primary flips back (phase 2), and both stores are
 * compared over every budget the phase wrote. Every write carries its own Idempotency-Key (its opId) and every
 * create its own uuid v7, so the ledger and the rows are read for exactly the writes sent, answered or not.
 */
export async function runFlipPhase(context: FlipPhaseContext, options: FlipOptions): Promise<FlipReport> {
  const { api, admin, control, storeA, storeB, ownerId } = context;
  const durationMs = options.seconds * 1000;
  const flipAfterMs = Math.min(FLIP_AFTER_MS, durationMs / 4);
  const failures = new FailureTally();
  const opIds: string[] = [];
  const created: string[] = [];
  const acknowledged: string[] = [];
  const samples: LatencySample[] = [];
  let updates = 0;
  const origin = performance.now();

  const writeOne = async (index: number): Promise<boolean> => {
    const opId = uuidv7();
    opIds.push(opId);
    const headers = { 'idempotency-key': opId };
    const begun = performance.now();
    try {
      if (index % UPDATE_EVERY === UPDATE_EVERY - 1 && acknowledged.length > 0) {
        updates += 1;
        const target = acknowledged[acknowledged.length - 1 - (index % Math.min(UPDATE_AMONG, acknowledged.length))] as string;
        const patch = { name: `flip ${index} (updated)`, amount: `${index % 1000}.75` };
        return (await api.send(failures, 'PATCH', `/api/budgets/${target}`, 200, patch, headers)).status === 200;
      }
      const id = uuidv7();
      created.push(id);
      const answer = await api.send(failures, 'POST', '/api/budgets', 201, { id, ...budgetPayload(ownerId, 'flip', index) }, headers);
      if (answer.status === 201) acknowledged.push(id);
      return answer.status === 201;
    } finally {
      samples.push({ startedMs: begun - origin, latencyMs: performance.now() - begun });
    }
  };

  const running = openLoop(writeOne, options.rate, durationMs);
  await new Promise((resolve) => setTimeout(resolve, flipAfterMs));
  const toB = await timedFlip(admin, true, 'bench: flip to phase 3 under load', origin);
  const load = await running;
  const ledger = await waitUntilSettled(control, opIds, SETTLE_TIMEOUT_MS);
  const back = await timedFlip(admin, false, 'bench: flip back to phase 2 after the load', origin);
  const rows = await compareStores(storeA, storeB, budgetsEntity, created);
  const acknowledgedRows = await compareStores(storeA, storeB, budgetsEntity, acknowledged);
  return {
    options,
    flipAfterMs,
    load,
    creates: created.length,
    updates,
    failures,
    toB,
    back,
    latency: splitAtFlip(samples, toB),
    ledger,
    rows,
    acknowledged: { ...acknowledgedRows, sent: acknowledged.length },
  };
}

const verdict = (met: boolean) => (met ? 'met' : '**not met**');

/** Prints the phase's figures beside their targets; gives the checks that did not hold (the bench then exits 1). */
export function printFlipReport(report: FlipReport, log: (line: string) => void): string[] {
  const { options, load, toB, back, latency, ledger, rows, acknowledged } = report;
  const p95 = (values: number[]) => (values.length === 0 ? '–' : percentile([...values].sort((left, right) => left - right), 95).toFixed(1));
  const flipMet = (flip: TimedFlip) => flip.status === 200 && flip.ms <= FLIP_TARGET_MS;
  const settled = unsettledIn(ledger) === 0;
  const allAcknowledged = acknowledged.a.count === acknowledged.sent && acknowledged.b.count === acknowledged.sent;
  log('');
  log(
    `Flip of the primary under load: open loop at ${options.rate} writes/s for ${options.seconds} s in mode 2 (1 in ${UPDATE_EVERY} an update), ` +
      `PUT /admin/flags to phase 3 at ${(report.flipAfterMs / 1000).toFixed(1)} s, back to phase 2 once the load stopped and settled:`,
  );
  log('');
  log('| figure | measured | target |');
  log('|---|---|---|');
  log(`| flip 2 → 3 under load (fence, every process confirms, older writes settle, fence lifted) | ${toB.ms.toFixed(0)} ms | ≤ ${FLIP_TARGET_MS} ms: ${verdict(flipMet(toB))} |`);
  log(`| flip 3 → 2 after the load | ${back.ms.toFixed(0)} ms | ≤ ${FLIP_TARGET_MS} ms: ${verdict(flipMet(back))} |`);
  // Answered per second, over the load and its tail: below the rate, the box did not keep up and the latencies
  // below are mostly queueing (and so is the flip's wait for older writes).
  const served = load.ok / (load.elapsedMs / 1000);
  log(`| writes sent / ok / failed (${report.creates} creates, ${report.updates} updates; ${served.toFixed(0)} answered/s) | ${load.sent} / ${load.ok} / ${load.failed} | 0 failed: ${verdict(load.failed === 0)} |`);
  const rest = [...latency.before, ...latency.after];
  log(`| p95 ms of writes sent during the flip (${latency.during.length}) / the rest (${rest.length}) | ${p95(latency.during)} / ${p95(rest)} | |`);
  log(`| the rest: p95 ms before the flip, phase 2 (${latency.before.length}) / after it, phase 3 (${latency.after.length}) | ${p95(latency.before)} / ${p95(latency.after)} | |`);
  log(`| ledger for the phase's writes at the end | ${describeLedger(ledger)} | all settled: ${verdict(settled)} |`);
  log(`| budgets the phase created (sent), store A / store B: rows | ${rows.a.count} / ${rows.b.count} | equal: ${verdict(rows.equal)} |`);
  log(`| the same, checksum | ${rows.a.checksum.slice(0, 12)} / ${rows.b.checksum.slice(0, 12)} | equal: ${verdict(rows.equal)} |`);
  log(`| creates answered 201, on store A / store B | ${acknowledged.a.count} / ${acknowledged.b.count} of ${acknowledged.sent} | all on both: ${verdict(allAcknowledged)} |`);
  log('');
  log(`flip 2 → 3: ${toB.detail} (sent at ${(toB.startedMs / 1000).toFixed(2)} s, answered at ${(toB.endedMs / 1000).toFixed(2)} s)`);
  log(`flip 3 → 2: ${back.detail}`);
  for (const [reason, count] of report.failures.top()) log(`  failed ${count}×: ${reason}`);
  const problems: string[] = [];
  if (!settled) problems.push(`flip phase: ${unsettledIn(ledger)} write(s) still unsettled after ${SETTLE_TIMEOUT_MS / 1000} s (${describeLedger(ledger)})`);
  if (!rows.equal) problems.push(`flip phase: the stores differ (${rows.a.count} rows on store A, ${rows.b.count} on store B, checksums ${rows.a.checksum} / ${rows.b.checksum})`);
  if (!allAcknowledged) problems.push(`flip phase: of ${acknowledged.sent} creates answered 201, ${acknowledged.a.count} are on store A and ${acknowledged.b.count} on store B`);
  return problems;
}
