import { EntityRegistry, compareResults, type EntityDefinition, type StorePlugin } from '@dualwrite/stores';
import type { Pool } from 'pg';
import { keyText } from '../key-order';
import { parseEntityKey } from './entity-key';
import { VerifyLedgerReader } from './ledger-reads';
import { recommendConsistencyActions } from './recommendations';
import { currentRoles } from './store-roles';
import type { ConsistencyReport } from './verify.types';

export interface ConsistencyCheckDependencies {
  entities: EntityDefinition[];
  /** Store A and store B; which is the primary is read from the flags at each call. */
  stores: { a: StorePlugin; b: StorePlugin };
  /** The control database: flags and the operation ledger. */
  control: Pool;
  /** Fields left out of the comparison, beside the entities' own ignoreInComparison (as the dual-write comparison). */
  ignoreFields?: readonly string[];
}

/**
 * One record checked on both stores (the runbook's validateDataConsistency): the row read on the primary and the
 * secondary the flags name now, compared with the dual-write comparison's normalisation (compareResults), the
 * ledger's operations on the key, and what an operator can do about a difference. Reads only.
 */
export class ConsistencyCheck {
  private readonly registry: EntityRegistry;
  private readonly ledger: VerifyLedgerReader;

  constructor(private readonly dependencies: ConsistencyCheckDependencies) {
    this.registry = new EntityRegistry(dependencies.entities);
    this.ledger = new VerifyLedgerReader(dependencies.control);
  }

  /**
   * `entityName` must be registered (UnknownEntityError lists the valid ones) and `id` one of its keys
   * (InvalidEntityKeyError): both are checked before any store is read.
   */
  async validate(entityName: string, id: string): Promise<ConsistencyReport> {
    const entity = this.registry.get(entityName);
    const key = parseEntityKey(entity, id);
    const roles = await currentRoles(this.dependencies.control, this.dependencies.stores);
    const text = keyText(entity, key);
    const [primaryRow, secondaryRow, ledger] = await Promise.all([
      roles.primary.get(entity, key),
      roles.secondary.get(entity, key),
      this.ledger.forKey(entity.name, text),
    ]);
    const { differences } = compareResults(entity, primaryRow, secondaryRow, { ignoreFields: this.dependencies.ignoreFields });
    const recommendations = recommendConsistencyActions({
      entity: entity.name,
      key: text,
      mode: roles.mode,
      dual: roles.dual,
      primaryStore: roles.primary.name,
      secondaryStore: roles.secondary.name,
      primaryRow,
      secondaryRow,
      differences,
      ledger,
      versionField: entity.versionField,
    });
    return {
      entity: entity.name,
      id: key,
      mode: roles.mode,
      consistent: differences.length === 0,
      primary: { store: roles.primary.name, row: primaryRow },
      secondary: { store: roles.secondary.name, row: secondaryRow },
      differences,
      ledger,
      recommendations,
    };
  }
}

/** The runbook's per-record check: see ConsistencyCheck.validate. */
export function validateDataConsistency(dependencies: ConsistencyCheckDependencies, entity: string, id: string): Promise<ConsistencyReport> {
  return new ConsistencyCheck(dependencies).validate(entity, id);
}
