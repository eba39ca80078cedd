#!/usr/bin/env node
// Runs a TypeScript entry point of this repo without a build step:
// @swc-node/register compiles on the fly with decorator metadata and the tsconfig path aliases.
const path = require('node:path');
process.env.SWC_NODE_PROJECT = process.env.SWC_NODE_PROJECT || path.join(__dirname, '..', 'tsconfig.base.json');
require('@swc-node/register');
require('reflect-metadata');
const entry = process.argv[2];
if (!entry) {
  console.error('usage: node tools/run.js <entry.ts> [args...]');
  process.exit(2);
}
process.argv.splice(1, 1);
require(path.resolve(entry));
