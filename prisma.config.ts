// Prisma CLI configuration. The JS engine with the pg driver adapter lets `prisma generate` and
// `prisma migrate diff` work without downloading Prisma's native schema engine.
import 'dotenv/config';
import path from 'node:path';
import { PrismaPg } from '@prisma/adapter-pg';
import { defineConfig } from 'prisma/config';

const connectionString =
  process.env.PRIMARY_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/dw_primary';

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: path.join('prisma', 'schema.prisma'),
  migrations: { path: path.join('prisma', 'migrations') },
  adapter: async () => new PrismaPg({ connectionString, idleTimeoutMillis: 500 }),
});
