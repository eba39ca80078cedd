import { classifyDiffSeverity, type DiffSeverityRules } from '@dualwrite/dual-write';
import { compareResults, type EntityDefinition, type FieldDifference, type RowKey } from '@dualwrite/stores';
import { keyFromText, keyText } from './key-order';
import type { LedgerActivity } from './ledger-activity';
import type { Finding, LedgerState, ReconcileSide } from './reconcile.types';

export interface RecheckOptions {
  settleTimeoutMs: number;
  ignoreFields?: readonly string[];
  severityRules?: DiffSeverityRules;
  /** Keys per findManyByIds call. Default 500. */
  keysPerRead?: number;
  /** Rounds of "written since the last read → wait for those writes, read again". Default 20. */
  maxRounds?: number;
}

/**
 * Decides which candidate keys are reported. Each is read again by key on both stores and compared with the
 * dual-write comparison; a key the ledger shows written during the run (or still unsettled) is read again
 * once its writes have settled, as long as new writes keep arriving (up to `maxRounds`). What still differs
 * is a finding, with the severity the dual-write policy gives it.
 */
export class FindingRecheck {
  rowsRead = 0;
  keysRechecked = 0;

  constructor(
    private readonly entity: EntityDefinition,
    private readonly primary: ReconcileSide,
    private readonly secondary: ReconcileSide,
    private readonly ledger: LedgerActivity | undefined,
    private readonly options: RecheckOptions,
  ) {}

  async findings(candidates: ReadonlyMap<string, RowKey>, runStartedAt: Date): Promise<Finding[]> {
    const differing = await this.compareByKeys([...candidates.keys()]);
    const states = new Map<string, LedgerState>();
    if (this.ledger) {
      let since = runStartedAt;
      let watched = [...differing.keys()];
      for (let round = 0; round < (this.options.maxRounds ?? 20) && watched.length > 0; round += 1) {
        const written = [...(await this.ledger.keysWrittenSince(this.entity.name, watched, since))];
        if (written.length === 0) break;
        since = await this.ledger.now();
        const unsettled = await this.ledger.waitUntilSettled(this.entity.name, written, this.options.settleTimeoutMs);
        const again = await this.compareByKeys(written);
        this.keysRechecked += written.length;
        for (const key of written) {
          states.set(key, unsettled.has(key) ? 'unsettled' : 'settled');
          const differences = again.get(key);
          if (differences) differing.set(key, differences);
          else differing.delete(key);
        }
        // A key whose writes did not settle in time is reported as it is (`unsettled`), not waited for again.
        watched = written.filter((key) => differing.has(key) && !unsettled.has(key));
      }
    }
    const findings: Finding[] = [];
    for (const [key, differences] of differing) {
      for (const difference of differences) findings.push(this.toFinding(key, difference, states.get(key) ?? 'quiet'));
    }
    return findings;
  }

  /** Reads `keys` on both stores and returns the differences of each key that differs. */
  private async compareByKeys(keys: readonly string[]): Promise<Map<string, FieldDifference[]>> {
    const byKey = new Map<string, FieldDifference[]>();
    const chunk = this.options.keysPerRead ?? 500;
    for (let start = 0; start < keys.length; start += chunk) {
      const ids = keys.slice(start, start + chunk).map((text) => keyFromText(this.entity, text));
      const [primaryRows, secondaryRows] = await Promise.all([
        this.primary.findManyByIds(this.entity, ids),
        this.secondary.findManyByIds(this.entity, ids),
      ]);
      this.rowsRead += primaryRows.length + secondaryRows.length;
      const { differences } = compareResults(this.entity, primaryRows, secondaryRows, { ignoreFields: this.options.ignoreFields });
      for (const difference of differences) {
        if (difference.key === undefined) throw new Error(`A ${this.entity.name} difference without a key: ${difference.path}`);
        const key = keyText(this.entity, difference.key);
        byKey.set(key, [...(byKey.get(key) ?? []), difference]);
      }
    }
    return byKey;
  }

  private toFinding(key: string, difference: FieldDifference, ledger: LedgerState): Finding {
    return {
      entity: this.entity.name,
      key,
      kind: difference.kind,
      ...(difference.field !== undefined ? { field: difference.field } : {}),
      primary: difference.primary,
      secondary: difference.secondary,
      severity: classifyDiffSeverity([difference], this.entity, this.options.severityRules),
      ledger,
    };
  }
}
