import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { main, memoryIo } from '@tapegrad/cli';
import { afterAll, describe, expect, test } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const gallery = join(root, 'docs', 'derivations');
const files = readdirSync(gallery).filter((f) => f.endsWith('.ts')).sort().map((f) => join(gallery, f));
const wrong = files.filter((f) => f.includes('wrong-'));
// Inside the repository, so the files can import the workspace packages by name.
const scratch = mkdtempSync(join(import.meta.dirname, '.verify-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function run(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const m = memoryIo();
  const code = await main(argv, m.io);
  return { code, stdout: m.stdout(), stderr: m.stderr() };
}

interface JsonReport {
  name: string;
  ok: boolean;
  verdict: string;
  cases: number;
  worst: { input: string; index: number; hand: number; engine: number; numeric: number; relError: number } | null;
  counterexample: { dims: Record<string, number>; inputs: Record<string, unknown>; snippet: string } | null;
}

describe('tapegrad verify on the gallery (docs/derivations)', () => {
  test('the gallery has the correct derivations and the two wrong ones', () => {
    expect(files.length).toBeGreaterThanOrEqual(10);
    expect(wrong).toHaveLength(2);
  });

  test('every correct derivation holds: exit 0', async () => {
    const r = await run('verify', ...files.filter((f) => !wrong.includes(f)));
    expect(r.stderr).toBe('');
    expect(r.stdout).not.toContain('✗');
    expect(r.stdout).toMatch(/\n8 of 8 derivations hold \(/);
    expect(r.code).toBe(0);
  });

  test('both wrong derivations are caught with a shrunk counterexample: exit 1', async () => {
    const r = await run('verify', '--json', ...files);
    expect(r.code).toBe(1);
    const reports = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as JsonReport);
    expect(reports).toHaveLength(files.length);
    const failing = reports.filter((x) => !x.ok);
    expect(failing.map((x) => x.verdict)).toEqual(['wrong', 'wrong']);
    for (const x of failing) {
      const c = x.counterexample!;
      for (const size of Object.values(c.dims)) expect(size).toBeLessThanOrEqual(2);
      // simple values: short decimals
      for (const v of JSON.stringify(c.inputs).match(/-?[\d.e-]+/g)!) expect(v.length).toBeLessThanOrEqual(4);
      expect(Math.abs(x.worst!.engine - x.worst!.numeric)).toBeLessThan(1e-5);
      expect(x.worst!.relError).toBeGreaterThan(0.1);
      expect(c.snippet).toContain(`import derivation from './docs/derivations/wrong-`);
    }
    for (const x of reports.filter((y) => y.ok)) expect(x.verdict).toBe('holds');
  });

  test('the report of a wrong derivation: the table, the counterexample and the snippet', async () => {
    const r = await run('verify', wrong.find((f) => f.includes('cross-entropy'))!);
    expect(r.code).toBe(1);
    const text = r.stdout.replace(/\d+\.\d\d s\b/g, 'T s');
    expect(text).toContain(`✗ softmax + cross-entropy, missing the 1/m (wrong on purpose): wrong
    verdict     WRONG: the hand derivation disagrees with the engine, and central differences side with the engine
    cases       2 (seed 1; T s)
    dimensions  m = 2, k = 2
    element     z[0, 0] (flat index 0)
    hand        -0.5
    engine      -0.25
    numeric     -0.25
    rel. error  0.5
  counterexample (shrunk):
    z = [[0, 0], [0, 0]]
    t = [0, 0]
    u = ones (the upstream gradient)
  reproduce:
    import { checkCase } from '@tapegrad/verify';
    import derivation from './docs/derivations/wrong-cross-entropy.ts';

    const result = checkCase(derivation, {
      z: [[0, 0], [0, 0]],
      t: [0, 0],
    });
    console.log(result.status, result.worst);
`);
  });

  test('--seed and --runs are used', async () => {
    const r = await run('verify', '--json', '--seed', '7', '--runs', '25', files.find((f) => f.endsWith('tanh-mse.ts'))!);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ cases: 25, seed: 7, verdict: 'holds' });
  });
});

describe('tapegrad verify: loading files', () => {
  const write = (name: string, text: string): string => {
    const path = join(scratch, name);
    writeFileSync(path, text);
    return path;
  };

  test('every derivation a module exports by name is verified', async () => {
    const path = write(
      'named.ts',
      `import { defineDerivation } from '@tapegrad/verify';
export const square = defineDerivation({ name: 'square', inputs: { x: { shape: ['n'] } }, f: ({ x }) => x.square().sum(), grad: ({ x }) => ({ x: x.mul(2) }) });
export const cube = defineDerivation({ name: 'cube', inputs: { x: { shape: ['n'] } }, f: ({ x }) => x.pow(3).sum(), grad: ({ x }) => ({ x: x.square().mul(3) }) });
export const notOne = 42;
`,
    );
    const r = await run('verify', '--json', path);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n').map((l) => JSON.parse(l).name)).toEqual(['square', 'cube']);
  });

  test('exit 2 with a clear message for a file that cannot be loaded', async () => {
    const missing = await run('verify', join(scratch, 'nope.ts'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^tapegrad verify: cannot load .*nope\.ts: no such file\n$/);
    const broken = await run('verify', write('broken.ts', 'export default defineDerivation({ name: \n'));
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/^tapegrad verify: cannot load .*broken\.ts: /);
    const empty = await run('verify', write('empty.ts', 'export const x = 1;\n'));
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/empty\.ts exports no derivation \(export one made by defineDerivation from @tapegrad\/verify\)\n$/);
  });

  test('usage errors: exit 2', async () => {
    expect((await run('verify')).code).toBe(2);
    const r = await run('verify', '--runs', 'many', files[0]!);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatchInlineSnapshot(`
      "tapegrad: verify: --runs must be an integer ≥ 0, got 'many'. Run 'tapegrad --help' for usage.
      "
    `);
  });

  test('as a process: the CLI registers a TypeScript loader itself', () => {
    const env = { ...process.env };
    delete env['VITEST'];
    let out = '';
    let code = 0;
    try {
      out = execFileSync(process.execPath, ['--conditions=source', '--import', 'tsx', 'packages/cli/src/main.ts', 'verify', 'docs/derivations/logsumexp.ts', wrong[0]!], { cwd: root, env, encoding: 'utf8' });
    } catch (e) {
      code = (e as { status: number }).status;
      out = (e as { stdout: string }).stdout;
    }
    expect(code).toBe(1);
    expect(out).toMatch(/✓ log-sum-exp.*: holds/);
    expect(out).toMatch(/✗ .*wrong on purpose\): wrong/);
    expect(out).toContain('1 of 2 derivations hold');
  });
});

describe('docs/verify.md shows the reports the CLI prints', () => {
  test('each report block of the guide is what tapegrad verify prints for that file (timings aside)', async () => {
    const md = readFileSync(join(root, 'docs', 'verify.md'), 'utf8');
    const blocks = [...md.matchAll(/```text\n(✗[^]*?)```/g)].map((m) => m[1]!);
    expect(blocks).toHaveLength(2);
    const time = (s: string): string => s.replace(/\d+\.\d\d s\b/g, 'T s');
    for (const block of blocks) {
      const file = /import derivation from '\.\/(docs\/derivations\/[\w-]+\.ts)'/.exec(block)![1]!;
      const r = await run('verify', join(root, file));
      expect(time(r.stdout)).toContain(time(block));
    }
  });
});
