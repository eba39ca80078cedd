import { spawnSync } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..', '..');
const eslintBin = path.join(root, 'node_modules', 'eslint', 'bin', 'eslint.js');
const nxBin = path.join(root, 'node_modules', 'nx', 'bin', 'nx.js');

interface LintMessage {
  ruleId: string | null;
  message: string;
}

/** Lints `source` as if it were the file at `file` (relative to the repo root), with the repo's ESLint config. */
function lint(file: string, source: string): LintMessage[] {
  const run = spawnSync(process.execPath, [eslintBin, '--format', 'json', '--stdin', '--stdin-filename', path.join(root, file)], {
    cwd: root,
    input: source,
    encoding: 'utf8',
  });
  const [result] = JSON.parse(run.stdout) as { messages: LintMessage[] }[];
  return result.messages;
}

function boundaryErrors(file: string, source: string): string[] {
  return lint(file, source)
    .filter((message) => message.ruleId === '@nx/enforce-module-boundaries' || message.ruleId === 'no-restricted-imports')
    .map((message) => message.message);
}

describe('module boundaries (npm run lint)', () => {
  beforeAll(() => {
    // The boundary rule reads Nx's project graph; `npm run lint` computes it the same way first.
    spawnSync(process.execPath, [nxBin, 'show', 'projects'], { cwd: root, env: { ...process.env, NX_DAEMON: 'false' } });
  }, 60_000);

  it('lets the engine use the stores lib', () => {
    expect(boundaryErrors('libs/dual-write/src/probe.ts', "import { EntityRegistry } from '@dualwrite/stores';\nexport const probe = EntityRegistry;\n")).toEqual([]);
  });

  it('refuses the stores lib importing the engine', () => {
    const errors = boundaryErrors('libs/stores/src/probe.ts', "import { DualWriteEngine } from '@dualwrite/dual-write';\nexport const probe = DualWriteEngine;\n");
    expect(errors.join('\n')).toMatch(/Circular dependency between "stores" and "dual-write"|scope:stores/);
  });

  it('refuses product code of a lib importing the test helpers or the example domain', () => {
    expect(boundaryErrors('libs/dual-write/src/probe.ts', "import { eventually } from '@dualwrite/testing';\nexport const probe = eventually;\n")).not.toEqual([]);
    expect(boundaryErrors('libs/dual-write/src/probe.ts', "import { usersEntity } from '@dualwrite/example-domain';\nexport const probe = usersEntity;\n")).not.toEqual([]);
    expect(boundaryErrors('libs/dual-write/src/probe.ts', "import { describeStoreContract } from '@dualwrite/stores/testing';\nexport const probe = describeStoreContract;\n")).not.toEqual([]);
  });

  it('lets a spec file use the test helpers and the example domain', () => {
    const source = "import { eventually } from '@dualwrite/testing';\nimport { usersEntity } from '@dualwrite/example-domain';\nexport const probe = [eventually, usersEntity];\n";
    expect(boundaryErrors('libs/dual-write/src/probe.spec.ts', source)).toEqual([]);
  });

  it('refuses a lib importing an app or a tool', () => {
    const errors = boundaryErrors('libs/dual-write/src/probe.ts', "import { ApiModule } from '../../../apps/api/src/api.module';\nexport const probe = ApiModule;\n");
    expect(errors).not.toEqual([]);
  });

  it('refuses reconcile and backup reaching into the engine past its public index', () => {
    const errors = boundaryErrors('libs/reconcile/src/probe.ts', "import { OperationLedger } from '../../dual-write/src/ledger/operation-ledger';\nexport const probe = OperationLedger;\n");
    expect(errors).not.toEqual([]);
  });

  it('refuses the config lib depending on any other lib', () => {
    expect(boundaryErrors('libs/config/src/probe.ts', "import { Row } from '@dualwrite/stores';\nexport type Probe = Row;\n")).not.toEqual([]);
  });
});
