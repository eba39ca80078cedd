/**
 * The phase gates (issue 11): which flag transitions may happen, and on what evidence. Pure: the same evidence
 * gives the same verdict. Only neighbouring phases are steps (1↔2, 2↔3, 3↔4). A step onto store B as primary or
 * sole store (2→3, 3→4) needs every entity copied A→B, a clean reconcile of it newer than that copy and than the
 * allowed age, and no owed or dead operation (store B would lack them). Back from store B alone (4→3) needs every
 * entity copied B→A (store A missed phase 4's writes) and a clean reconcile newer than that copy and the allowed
 * age. 1→2, 2→1 and 3→2 change nothing store B must already hold, and are always allowed.
 */

export type Phase = 1 | 2 | 3 | 4;
export type CopyDirection = 'a-to-b' | 'b-to-a';

export interface EntityGateEvidence {
  /** When the latest complete copy of the entity in each direction finished; null when there is none. */
  copied: Record<CopyDirection, Date | null>;
  /** When the latest reconcile of the entity that found no difference finished; null when there is none. */
  cleanReconcileAt: Date | null;
}

export interface GateEvidence {
  /** When the evidence was read (the clock the age rule is judged on). */
  at: Date;
  entities: Record<string, EntityGateEvidence>;
  /** Operations store B still owes (`secondary_pending`, `primary_unavailable`). */
  owedOperations: number;
  deadOperations: number;
}

export interface GatePolicy {
  /** Oldest a clean reconcile may be. */
  reconcileMaxAgeMs: number;
}

export function isStep(from: Phase, to: Phase): boolean {
  return Math.abs(from - to) === 1;
}

/** Whether the transition needs copy and reconcile evidence (the others need none). */
export function needsEvidence(from: Phase, to: Phase): boolean {
  return (from === 2 && to === 3) || (from === 3 && to === 4) || (from === 4 && to === 3);
}

/** What keeps the transition from happening, one line an operator can act on each; empty when allowed. */
export function unmetGateConditions(from: Phase, to: Phase, evidence: GateEvidence | null, policy: GatePolicy): string[] {
  if (from === to) return [];
  if (!isStep(from, to)) {
    const via = from < to ? range(from, to) : range(to, from).reverse();
    return [`phase ${from} → ${to} is not a step: go through ${via.join(' → ')}, one step at a time`];
  }
  if (!needsEvidence(from, to)) return [];
  if (!evidence) return [`phase ${from} → ${to} needs the copy and reconcile records, which could not be read`];
  const direction: CopyDirection = to === 3 && from === 4 ? 'b-to-a' : 'a-to-b';
  const copyName = direction === 'a-to-b' ? 'copy A→B (`copy-data`)' : 'reverse copy B→A (`copy-data --from=b`)';
  const unmet: string[] = [];
  for (const [entity, facts] of Object.entries(evidence.entities).sort(([left], [right]) => left.localeCompare(right))) {
    const copiedAt = facts.copied[direction];
    if (!copiedAt) {
      unmet.push(`${entity}: no complete ${copyName}`);
      continue;
    }
    const reconciled = facts.cleanReconcileAt;
    if (!reconciled) unmet.push(`${entity}: no clean reconcile (\`reconcile-data\` with no finding)`);
    else if (reconciled <= copiedAt) unmet.push(`${entity}: the last clean reconcile (${reconciled.toISOString()}) is older than the ${copyName} (${copiedAt.toISOString()})`);
    else if (evidence.at.getTime() - reconciled.getTime() > policy.reconcileMaxAgeMs) {
      unmet.push(`${entity}: the last clean reconcile (${reconciled.toISOString()}) is older than ${hours(policy.reconcileMaxAgeMs)}`);
    }
  }
  if (direction === 'a-to-b') {
    if (evidence.owedOperations > 0) unmet.push(`${evidence.owedOperations} operation(s) store B still owes (replay them first)`);
    if (evidence.deadOperations > 0) unmet.push(`${evidence.deadOperations} dead operation(s) (an operator decides each first)`);
  }
  return unmet;
}

function range(low: number, high: number): number[] {
  return Array.from({ length: high - low + 1 }, (_, index) => low + index);
}

function hours(ms: number): string {
  const value = ms / 3_600_000;
  return `${Number.isInteger(value) ? value : value.toFixed(1)} h`;
}
