import type { EntityDefinition } from '@dualwrite/stores';
import { BackupService } from '../backup-service';

/**
 * Spec support (argv: source URL, control URL, storage path, entities as JSON): a process that starts a full backup and, once its first rows are on their way to disk, prints the
 * backup's progress line and stops dead (blocks) so the spec can SIGKILL it mid-backup.
 */
const [sourceUrl, controlUrl, storagePath, entitiesJson] = process.argv.slice(2);
// The spec's entities as JSON (plain data): this lib's code may not import the example domain.
const entities = JSON.parse(entitiesJson ?? '[]') as EntityDefinition[];
const service = new BackupService({ storagePath, controlDatabaseUrl: controlUrl, entities, sources: { a: { databaseUrl: sourceUrl } } });
let announced = false;
void service.create({
  store: 'a',
  kind: 'full',
  onProgress: (progress) => {
    if (announced || progress.phase !== 'copy') return;
    announced = true;
    process.stdout.write(`copying ${progress.table}\n`, () => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60_000));
  },
});
