import path from 'node:path';
import { config } from 'dotenv';

/**
 * Loads `.env` (the operator's values) and then `.env.example` (working local defaults) from the
 * repository root. Variables already set in the environment always win, so CI and production
 * configure through the environment alone.
 */
export function loadEnvFiles(root: string = process.cwd()): void {
  config({ path: path.join(root, '.env'), quiet: true });
  if (process.env.DUALWRITE_NO_ENV_DEFAULTS !== 'true') {
    config({ path: path.join(root, '.env.example'), quiet: true });
  }
}
