const preset = require('../../jest.preset.js');

module.exports = {
  ...preset,
  displayName: 'reconcile',
  rootDir: __dirname,
  testMatch: ['<rootDir>/**/*.spec.ts'],
  testTimeout: 120000,
};
