// Shared Jest settings: @swc/jest compiles TypeScript with decorator metadata (Nest DI needs it)
// and resolves the @dualwrite/* path aliases the same way tsconfig.base.json does.
const path = require('node:path');

const root = __dirname;

module.exports = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      {
        jsc: {
          parser: { syntax: 'typescript', decorators: true },
          transform: { legacyDecorator: true, decoratorMetadata: true },
          target: 'es2022',
        },
        module: { type: 'commonjs' },
      },
    ],
  },
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper: {
    '^@dualwrite/config$': path.join(root, 'libs/config/src/index.ts'),
    '^@dualwrite/stores$': path.join(root, 'libs/stores/src/index.ts'),
    '^@dualwrite/stores/testing$': path.join(root, 'libs/stores/src/testing/index.ts'),
    '^@dualwrite/testing$': path.join(root, 'libs/testing/src/index.ts'),
    '^@dualwrite/dual-write$': path.join(root, 'libs/dual-write/src/index.ts'),
    '^@dualwrite/reconcile$': path.join(root, 'libs/reconcile/src/index.ts'),
    '^@dualwrite/backup$': path.join(root, 'libs/backup/src/index.ts'),
    '^@dualwrite/example-domain$': path.join(root, 'libs/example-domain/src/index.ts'),
  },
  testTimeout: 30000,
  maxWorkers: 1,
  setupFiles: [path.join(root, 'jest.setup-env.js')],
};
