import { BackupService } from '@dualwrite/backup';
import { exampleEntities } from '@dualwrite/example-domain';

/**
 * One backup or restore of `npm run bench:backup` in a process of its own, so its peak RSS is its own:
 * `backup-child.ts backup <sourceUrl> <controlUrl> <storage>` or `restore|restore-checksums <sourceUrl> <controlUrl> <storage> <id> <targetUrl>`.
 * Prints one JSON line: { ms, maxRssMb, id }.
 */
async function main(): Promise<void> {
  const [operation, sourceUrl, controlUrl, storagePath, id, targetUrl] = process.argv.slice(2);
  const service = new BackupService({ storagePath, controlDatabaseUrl: controlUrl, entities: exampleEntities, sources: { a: { databaseUrl: sourceUrl } } });
  try {
    const started = performance.now();
    let resultId = id;
    if (operation === 'backup') resultId = (await service.create({ store: 'a', kind: 'full' })).id;
    else if (operation === 'restore') await service.restore(id, { targetUrl });
    else if (operation === 'restore-checksums') await service.restore(id, { targetUrl, verify: 'checksums' });
    else throw new Error(`unknown operation ${operation}`);
    const ms = performance.now() - started;
    process.stdout.write(`${JSON.stringify({ ms, maxRssMb: process.resourceUsage().maxRSS / 1024, id: resultId })}\n`);
  } finally {
    await service.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
