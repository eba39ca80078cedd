const preset = require('../../jest.preset.js');

module.exports = {
  ...preset,
  displayName: 'dual-write',
  rootDir: __dirname,
  testMatch: ['<rootDir>/**/*.spec.ts'],
};
