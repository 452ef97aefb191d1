import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { main, memoryIo, writeFileAtomic } from '@tapegrad/cli';
import { Linear, parseCsv } from '@tapegrad/nn';
import { afterAll, describe, expect, test } from 'vitest';

// Issue 13, "Files and the command line" (items 19–23): each test failed before its fix.

const root = mkdtempSync(join(tmpdir(), 'tapegrad-files-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function run(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const m = memoryIo();
  const code = await main(argv, m.io);
  return { code, stdout: m.stdout(), stderr: m.stderr() };
}

describe('saving never destroys the previous file (item 19)', () => {
  test('a save that fails part-way (file-size limit, as a full disk) leaves the old report.json whole', () => {
    const dir = join(root, 'full');
    mkdirSync(dir);
    const report = join(dir, 'report.json');
    writeFileSync(report, '{"old":true}\n');
    const fixture = resolve(import.meta.dirname, 'fixtures/save.ts');
    // SIGXFSZ ignored, so the write fails with EFBIG after the first 2 KiB instead of killing the process.
    const r = spawnSync('bash', ['-c', `trap '' XFSZ; ulimit -f 2; exec node --conditions=source --import tsx "${fixture}" "${report}" 5000`], {
      encoding: 'utf8',
      cwd: resolve(import.meta.dirname, '../..'),
    });
    expect(r.stdout).toBe('failed: EFBIG\n');
    expect(JSON.parse(readFileSync(report, 'utf8'))).toEqual({ old: true });
    expect(readdirSync(dir)).toEqual(['report.json']); // no temporary file left behind
  });

  test('a successful save replaces the file', () => {
    const path = join(root, 'ok.json');
    writeFileSync(path, 'old');
    writeFileAtomic(path, 'new\n');
    expect(readFileSync(path, 'utf8')).toBe('new\n');
  });

  test('demo: results that cannot be written after training are still printed with --json, with a tapegrad: error and exit 1', async () => {
    const dir = join(root, 'blocked');
    mkdirSync(join(dir, 'report.json', 'in-the-way'), { recursive: true });
    const r = await run('demo', '--json', '--epochs', '1', '--out', dir);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).dataset).toBe('breastCancer');
    expect(r.stderr).toMatch(/^tapegrad: could not write the results to .*blocked: /);
    expect(r.stderr.split('\n')).toHaveLength(2);
  });
});

describe('demo --out is checked before training (item 20)', () => {
  test('an --out that cannot be created is a tapegrad: error with exit 2, before any training', async () => {
    const file = join(root, 'a-file');
    writeFileSync(file, 'x');
    const r = await run('demo', '--epochs', '1', '--out', join(file, 'sub'));
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^tapegrad: --out '.*a-file\/sub' cannot be written to: ENOTDIR/);
  });
});

describe('state dicts with NaN or ±Inf (item 21)', () => {
  test('round-trip through JSON', () => {
    const a = new Linear(2, 2, { seed: 1 });
    a.weight.data[0] = NaN;
    a.weight.data[1] = Infinity;
    a.weight.data[2] = -Infinity;
    const b = new Linear(2, 2, { seed: 2 });
    b.loadStateDict(JSON.parse(JSON.stringify(a.stateDict())));
    expect(Array.from(b.weight.data)).toEqual(Array.from(a.weight.data));
    expect(Array.from(b.bias!.data)).toEqual(Array.from(a.bias!.data));
  });

  test('null (what JSON makes of NaN elsewhere) is refused with a clear error, changing nothing', () => {
    const b = new Linear(1, 1, { seed: 2 });
    const before = Array.from(b.weight.data);
    expect(() => b.loadStateDict({ weight: { shape: [1, 1], data: [null as never] }, bias: { shape: [1], data: [0] } })).toThrowErrorMatchingInlineSnapshot(`[ArgumentError: loadStateDict: entry 'weight' must hold numbers (or 'NaN', 'Infinity', '-Infinity'), got null at index 0]`);
    expect(Array.from(b.weight.data)).toEqual(before);
  });
});

describe('command-line validation (item 22)', () => {
  test.each(['constructor', '__proto__', 'toString', 'hasOwnProperty'])('--dataset %s is refused with exit 2', async (name) => {
    const r = await run('demo', '--dataset', name, '--out', join(root, 'never'));
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`tapegrad: --dataset must be breastCancer, digits or words, got '${name}'. Run 'tapegrad --help' for usage.\n`);
    expect(existsSync(join(root, 'never'))).toBe(false);
  });

  test.each(['--json=false', '--json=true', '--json='])('%s is refused with exit 2 (a switch takes no value)', async (arg) => {
    const r = await run('demo', arg);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`tapegrad: --json takes no value, got '${arg}'`);
  });

  test('--seed beyond 2^53 and control characters in values are reported cleanly', async () => {
    const r = await run('demo', '--seed', '9007199254740993');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`--seed must be at most 2^53 - 1, got '9007199254740993'`);
    const cr = await run('demo', '--activation', 'relu\r');
    expect(cr.code).toBe(2);
    expect(cr.stderr).not.toContain('\r');
    expect(cr.stderr).toContain(`got 'relu\\r'`);
  });
});

describe('CSV line endings (item 23)', () => {
  test('lone \\r line endings parse as lines', () => {
    const t = parseCsv('a,b\r1,2\r3,4\r', { hasHeader: true });
    expect(t.rows).toBe(2);
    expect(Array.from(t.data)).toEqual([1, 2, 3, 4]);
  });

  test('an error names the right line and contains no raw carriage return', () => {
    let message = '';
    try {
      parseCsv('1,2\r3,4\r5,x\r7,8');
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toBe(`parseCsv: line 3, column 2 must be a number, got 'x'`);
    expect(() => parseCsv('1,2\n3,\t\r\n')).toThrow(/line 2, column 2 must be a number, got ''/);
    expect(() => parseCsv('1,2\n3,4\u0007\n')).toThrow(/got '4\\u0007'/);
  });
});
