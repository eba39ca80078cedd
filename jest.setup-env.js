// Tests read the same .env.example defaults a developer gets, unless the environment overrides them.
require('dotenv').config({ path: require('node:path').join(__dirname, '.env'), quiet: true });
require('dotenv').config({ path: require('node:path').join(__dirname, '.env.example'), quiet: true });
require('reflect-metadata');
