// The Promela model of PROTOCOL.md (protocol.pml), checked by spin through check.sh: the full model must have no
// error, and with each mechanism switched off spin must print a counterexample that breaks a named invariant.
// The "gap" scenarios pin the places where PROTOCOL.md as written is not enough (README.md, "Gaps"): each
// literal reading gives a counterexample, the model's reading gives none.
// Needs spin and gcc (`apt-get install -y spin`; .ci/run installs it). Runs build in a temporary directory.
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';

const CHECK = path.join(__dirname, 'check.sh');
const PARALLEL = 2; // the machine has 2 cores: the two exhaustive runs go side by side

interface ModelResult {
  mode: string;
  errors: number;
  violated: string;
  states: number;
  seconds: number;
  output: string;
}

function runMode(mode: string): Promise<ModelResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [CHECK, mode], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', () => {
      const line = output.split('\n').find((l) => l.startsWith(`RESULT mode=${mode} `));
      const field = (name: string): string => line?.match(new RegExp(`\\b${name}=(\\S+)`))?.[1] ?? '';
      if (!line || field('errors') === '-1') {
        reject(new Error(`check.sh ${mode} did not run to the end:\n${output}`));
        return;
      }
      resolve({
        mode,
        errors: Number(field('errors')),
        violated: field('violated'),
        states: Number(field('states')),
        seconds: Number(field('seconds')),
        output,
      });
    });
  });
}

// At most PARALLEL spin runs at once; each test awaits its own run, all are started before the first test.
const queue: Array<() => void> = [];
let running = 0;
const runs = new Map<string, Promise<ModelResult>>();
function scheduled(mode: string): Promise<ModelResult> {
  let run = runs.get(mode);
  if (!run) {
    run = new Promise<void>((start) => {
      queue.push(start);
      pump();
    }).then(() =>
      runMode(mode).finally(() => {
        running--;
        pump();
      }),
    );
    runs.set(mode, run);
  }
  return run;
}
function pump(): void {
  while (running < PARALLEL && queue.length > 0) {
    running++;
    queue.shift()?.();
  }
}

const FULL = ['full', 'full-2faults'];
// mode -> the invariant spin reports broken (the first error of its depth-first search)
const SWITCHES: Array<[string, string, string]> = [
  ['no-sync-lock', '(a) ordering: sync without the per-key lock', 'I3_applied_op_on_both_stores'],
  ['payload-sync', '(a) ordering: sync writes the payload', 'I2_no_orphan_row'],
  ['no-tombstone-delete', '(b) tombstones: a delete is not propagated', 'I3_applied_op_on_both_stores'],
  ['no-fence-claim', '(c) fencing: claims do not check the flag version', 'I3_applied_op_on_both_stores'],
  ['no-fence-wait', '(c) fencing: the flip does not wait for old-version ops', 'I3_applied_op_on_both_stores'],
  ['uncond-ledger', '(d) ledger: unconditional updates', 'I3_applied_op_on_both_stores'],
];
const GAPS: Array<[string, string, string]> = [
  ['gap-copy-gate', 'B primary before the initial copy finished', 'I3_applied_op_on_both_stores'],
  ['gap-crash-frees-lock', "a crash frees the lock while the crashed process's call is in flight", 'I3_applied_op_on_both_stores'],
  ['gap-late-landing', 'a timed-out op is synced before its primary call settled', 'I5_stores_equal_when_quiet'],
  ['gap-retry-in-flight', 'a retry re-runs an op whose earlier primary call may still land', 'I5_stores_equal_when_quiet'],
  ['gap-tomb-literal', 'delete proof only from deletes known to have succeeded', 'I5_stores_equal_when_quiet'],
  ['gap-orphan-no-proof', 'the row an unknown-outcome op left on the old primary is never deleted', 'I5_stores_equal_when_quiet'],
  ['gap-replay-unclaimed', 'the replay job syncs without claiming the op', 'I3_applied_op_on_both_stores'],
  ['gap-replay-not-awaited', 'the flip does not wait for a primary_unavailable op being replayed', 'I3_applied_op_on_both_stores'],
  ['gap-replay-during-fence', 'a primary_unavailable op is replayed while the flags are fenced', 'I3_applied_op_on_both_stores'],
  ['gap-delete-retry-404', 'a re-run delete that finds no row answers 404', 'I4_retry_no_permanent_failure_for_landed_write'],
];

// generous: the full model alone takes about 1.5 minutes, more when the cores are shared
const TIMEOUT = 600_000;

describe('dual-write protocol model (spin)', () => {
  beforeAll(() => {
    const spin = spawnSync('spin', ['-V'], { encoding: 'utf8' });
    if (spin.error || spin.status !== 0) {
      throw new Error('spin is not installed: apt-get install -y spin (.ci/run does it)');
    }
    for (const mode of [...FULL, ...SWITCHES.map(([m]) => m), ...GAPS.map(([m]) => m)]) {
      // started here, awaited by each test; a failure is reported by the test that awaits it
      scheduled(mode).catch(() => undefined);
    }
  });

  it.each(FULL)('%s: every interleaving keeps I1-I5 (0 errors)', async (mode) => {
    const result = await scheduled(mode);
    expect({ errors: result.errors, output: result.errors === 0 ? '' : result.output }).toEqual({ errors: 0, output: '' });
    expect(result.states).toBeGreaterThan(1_000_000);
  }, TIMEOUT);

  describe('each mechanism switched off gives a counterexample', () => {
    it.each(SWITCHES)('%s — %s: breaks %s', async (mode, _what, invariant) => {
      const result = await scheduled(mode);
      expect(result.errors).toBeGreaterThanOrEqual(1);
      expect(result.violated).toBe(invariant);
      expect(result.output).toContain('counterexample');
    }, TIMEOUT);
  });

  describe('PROTOCOL.md read literally: the gaps the model closes', () => {
    it.each(GAPS)('%s — %s: breaks %s', async (mode, _what, invariant) => {
      const result = await scheduled(mode);
      expect(result.errors).toBeGreaterThanOrEqual(1);
      expect(result.violated).toBe(invariant);
    }, TIMEOUT);
  });
});
