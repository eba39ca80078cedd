import { ContractViolationError, isStoreError, type EntityDefinition, type Row, type RowKey } from '@dualwrite/stores';
import { contractItems, contractNotes, type InMemoryStore, type InMemoryStoreCall } from '@dualwrite/stores/testing';
import type { CallContext } from './scheduled-gates';

/** The entities the program writes, and the field that carries each write's tag (w<index>, or `seed`). */
export const WRITTEN_ENTITIES: EntityDefinition[] = [contractItems, contractNotes];
export const SEED_TAG = 'seed';

export function tagOf(entity: EntityDefinition, row: Row): string {
  return String(row[entity === contractNotes || entity.name === contractNotes.name ? 'body' : 'name']);
}

/** A primary write that took effect on a store: its stamp orders it among every other one (the version). */
export interface Landing {
  stamp: number;
  opId: string;
  tag: string;
  store: string;
  entity: string;
  key: RowKey;
  method: string;
}

export type ErrorKind = 'unavailable' | 'permanent' | 'other';

export interface Attempt {
  writeIndex: number;
  opId: string;
  label: string;
  retry: boolean;
  /** unanswered: the process stopped before answering. */
  outcome?: { kind: 'ok'; row: Row; version: number } | { kind: ErrorKind; error: string } | { kind: 'unanswered' };
  /** The store the attempt wrote its primary call to (the last one, if re-planned). */
  primaryStore?: string;
}

export class InvariantViolation extends Error {
  constructor(
    readonly invariant: string,
    detail: string,
  ) {
    super(`${invariant} violated: ${detail}`);
    this.name = 'InvariantViolation';
  }
}

export function errorKind(error: unknown): ErrorKind {
  if (isStoreError(error)) return error.kind === 'unavailable' ? 'unavailable' : 'permanent';
  if (error instanceof ContractViolationError) return 'permanent';
  return 'other';
}

/**
 * What happened, as the checks need it: every primary write that took effect (stamped in the order they did), every
 * attempt of every write and how its caller was answered, every operation the ledger marked applied.
 */
export class History {
  readonly landings: Landing[] = [];
  readonly attempts: Attempt[] = [];
  readonly applied = new Set<string>();
  /** Errors that are neither a store's answer nor unavailability (worth a look; no invariant names them). */
  readonly oddAnswers: string[] = [];
  private stamp = 0;

  /** Called by the gate once a call took effect (its response is about to pass the gate). */
  noteEffect(context: CallContext | undefined, call: InMemoryStoreCall, store: InMemoryStore, entity: EntityDefinition | undefined): void {
    if (!context || context.role !== 'write' || !context.opId || !context.tag || !entity) return;
    if (!['insert', 'update', 'upsert', 'delete'].includes(call.method)) return;
    let key = context.key;
    if (key === undefined) {
      // A serial create: the newest row with its tag is the one it just inserted.
      const rows = store.peek(entity).filter((row) => tagOf(entity, row) === context.tag);
      key = rows.map((row) => Number(row[entity.primaryKey])).sort((x, y) => y - x)[0];
    }
    if (key === undefined) return;
    this.stamp += 1;
    this.landings.push({ stamp: this.stamp, opId: context.opId, tag: context.tag, store: call.store, entity: entity.name, key, method: call.method });
  }

  /** The newest stamp of the op's primary writes (0: never took effect). */
  opVersion(opId: string): number {
    return this.landings.reduce((newest, landing) => (landing.opId === opId ? Math.max(newest, landing.stamp) : newest), 0);
  }

  opKey(opId: string): { entity: string; key: RowKey } | undefined {
    const landing = [...this.landings].reverse().find((candidate) => candidate.opId === opId);
    return landing ? { entity: landing.entity, key: landing.key } : undefined;
  }

  /** The version of a row's content: the newest landing of its tag (seed rows are version 0; -1: no primary ever wrote it). */
  tagVersion(entity: string, tag: string): number {
    if (tag === SEED_TAG) return 0;
    return this.landings.reduce((newest, landing) => (landing.entity === entity && landing.tag === tag && landing.method !== 'delete' ? Math.max(newest, landing.stamp) : newest), -1);
  }

  /** The version a store holds of a key: its row's, or for a missing row the newest delete of the key. */
  heldVersion(store: InMemoryStore, entity: EntityDefinition, key: RowKey): number {
    const row = store.peek(entity).find((candidate) => String(candidate[entity.primaryKey]) === String(key));
    if (row) return this.tagVersion(entity.name, tagOf(entity, row));
    return this.landings.reduce((newest, landing) => (landing.entity === entity.name && String(landing.key) === String(key) && landing.method === 'delete' ? Math.max(newest, landing.stamp) : newest), 0);
  }

  describeLandings(): string {
    return this.landings.map((landing) => `${landing.stamp}:${landing.tag} ${landing.method} ${landing.entity === contractNotes.name ? 'note' : 'item'} ${String(landing.key).slice(-2)} on ${landing.store}`).join(', ');
  }

  // ---- checks --------------------------------------------------------------------------------

  /** I3, at any quiet moment: every applied operation's version (or a later one) is on both stores. */
  checkApplied(stores: InMemoryStore[], entities: Map<string, EntityDefinition>, tolerated: ReadonlySet<string> = new Set()): void {
    for (const opId of this.applied) {
      const target = this.opKey(opId);
      if (!target) throw new InvariantViolation('I3', `operation ${this.opName(opId)} is applied but none of its primary writes ever took effect`);
      if (tolerated.has(`${target.entity}:${String(target.key)}`)) continue;
      const entity = entities.get(target.entity) as EntityDefinition;
      const version = this.opVersion(opId);
      for (const store of stores) {
        const held = this.heldVersion(store, entity, target.key);
        if (held < version) {
          throw new InvariantViolation('I3', `operation ${this.opName(opId)} is applied (version ${version}) but ${store.name} holds version ${held} of ${target.entity} ${String(target.key)}`);
        }
      }
    }
  }

  /** I2, at any quiet moment: every row on either store was written by some primary (or seeded). */
  checkOrigins(stores: InMemoryStore[]): void {
    for (const store of stores) {
      for (const entity of WRITTEN_ENTITIES) {
        for (const row of store.peek(entity)) {
          const tag = tagOf(entity, row);
          if (this.tagVersion(entity.name, tag) < 0) {
            throw new InvariantViolation('I2', `${store.name} holds ${entity.name} ${String(row[entity.primaryKey])} with ${tag}, which no primary write ever held`);
          }
        }
      }
    }
  }

  /** I4 when a retry is answered (and, for success, every attempt): see the brief in the spec. */
  checkAnswer(attempt: Attempt, store: (name: string) => InMemoryStore, entity: EntityDefinition, key: RowKey | undefined): void {
    const outcome = attempt.outcome;
    if (!outcome) return;
    if (outcome.kind === 'ok' && outcome.version === 0) {
      throw new InvariantViolation('I4', `${attempt.label} was answered success but no attempt of w${attempt.writeIndex} ever took effect on a store`);
    }
    if (!attempt.retry || outcome.kind !== 'permanent') return;
    const earlier = this.attempts.filter((other) => other.opId === attempt.opId && other !== attempt && other.outcome);
    if (earlier.length === 0 || !earlier.every((other) => other.outcome?.kind === 'unavailable' || other.outcome?.kind === 'unanswered')) return;
    const landed = this.landings.filter((landing) => landing.opId === attempt.opId);
    if (landed.length === 0 || !attempt.primaryStore || key === undefined) return;
    // Refused only because of its own earlier write: its row is still there (create), or its delete is the
    // last write of the key on that store (delete).
    const primary = store(attempt.primaryStore);
    const row = primary.peek(entity).find((candidate) => String(candidate[entity.primaryKey]) === String(key));
    const lastOnKey = [...this.landings].reverse().find((landing) => landing.store === primary.name && landing.entity === entity.name && String(landing.key) === String(key));
    const ownRow = row !== undefined && tagOf(entity, row) === landed[0]?.tag;
    const ownDelete = row === undefined && lastOnKey?.opId === attempt.opId && lastOnKey.method === 'delete';
    if (ownRow || ownDelete) {
      throw new InvariantViolation(
        'I4',
        `${attempt.label} was refused permanently (${outcome.error}) although every earlier attempt failed only as unavailable and the refusal is its own earlier write (${ownRow ? 'its row' : 'its delete'} on ${primary.name})`,
      );
    }
  }

  /** I1 after the drain: every acknowledged write (or a later one) is on the store that ends as primary. */
  checkAcknowledged(primary: InMemoryStore, entities: Map<string, EntityDefinition>, keyOf: (attempt: Attempt) => { entity: string; key: RowKey } | undefined): void {
    for (const attempt of this.attempts) {
      if (attempt.outcome?.kind !== 'ok') continue;
      const target = keyOf(attempt);
      if (!target) continue;
      const entity = entities.get(target.entity) as EntityDefinition;
      const held = this.heldVersion(primary, entity, target.key);
      if (held < attempt.outcome.version) {
        throw new InvariantViolation(
          'I1',
          `${attempt.label} was acknowledged (version ${attempt.outcome.version}) but the final primary ${primary.name} holds version ${held} of ${target.entity} ${String(target.key)}`,
        );
      }
    }
  }

  opName(opId: string): string {
    const attempt = this.attempts.find((candidate) => candidate.opId === opId);
    return attempt ? `w${attempt.writeIndex}` : opId;
  }
}
