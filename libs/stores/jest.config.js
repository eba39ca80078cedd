const preset = require('../../jest.preset.js');

module.exports = {
  ...preset,
  displayName: 'stores',
  rootDir: __dirname,
  testMatch: ['<rootDir>/**/*.spec.ts'],
};
