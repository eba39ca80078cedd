import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..', '..');
const schemaPath = path.join(root, 'prisma', 'schema.prisma');
const outputDir = path.join(root, 'generated', 'prisma');
const stampPath = path.join(outputDir, '.schema-sha256');

/**
 * Generates the Prisma client when it is missing or older than prisma/schema.prisma.
 * `prisma generate` works offline with the JS engine configured in prisma.config.ts.
 */
export function ensurePrismaClient(databaseUrl: string, log: (line: string) => void): void {
  const schemaHash = createHash('sha256').update(readFileSync(schemaPath)).digest('hex');
  if (existsSync(stampPath) && readFileSync(stampPath, 'utf8') === schemaHash) {
    log('prisma client: up to date');
    return;
  }
  try {
    execFileSync(process.execPath, [path.join(root, 'node_modules', 'prisma', 'build', 'index.js'), 'generate'], {
      cwd: root,
      env: { ...process.env, PRIMARY_DATABASE_URL: databaseUrl, PRISMA_HIDE_UPDATE_MESSAGE: '1' },
      stdio: 'pipe',
    });
  } catch (error) {
    const output = (error as { stderr?: Buffer; stdout?: Buffer }).stderr?.toString() ?? '';
    throw new Error(`prisma generate failed:\n${output}`, { cause: error });
  }
  writeFileSync(stampPath, schemaHash);
  log('prisma client: generated');
}
