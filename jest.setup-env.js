// Tests read the same .env.example defaults a developer gets, unless the environment overrides them.
// DUALWRITE_NO_ENV_DEFAULTS=true skips .env.example (e.g. the Supabase contract suite against a real project).
const path = require('node:path');
require('dotenv').config({ path: path.join(__dirname, '.env'), quiet: true });
if (process.env.DUALWRITE_NO_ENV_DEFAULTS !== 'true') {
  require('dotenv').config({ path: path.join(__dirname, '.env.example'), quiet: true });
}
require('reflect-metadata');
