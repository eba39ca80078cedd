const preset = require('../../jest.preset.js');

module.exports = {
  ...preset,
  displayName: 'example-domain',
  rootDir: __dirname,
  testMatch: ['<rootDir>/**/*.spec.ts'],
};
