import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main, memoryIo } from '@tapegrad/cli';
import { afterAll, describe, expect, test } from 'vitest';

const out = mkdtempSync(join(tmpdir(), 'tapegrad-cli-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

/** Runs the command in-process (main returns a promise only for `graph --svg`). */
async function run(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const m = memoryIo();
  const code = await main(argv, m.io);
  return { code, stdout: m.stdout(), stderr: m.stderr() };
}

describe('tapegrad demo --json', () => {
  test.each([
    ['breastCancer', []],
    ['digits', ['--dataset', 'digits']],
  ])('%s', async (dataset, extra) => {
    const dir = join(out, dataset);
    const r = await run('demo', '--json', '--epochs', '3', '--out', dir, ...extra);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const report = JSON.parse(lines[0]!);
    expect(report.dataset).toBe(dataset);
    expect(report.testAccuracy).toBeGreaterThan(0.9);
    expect(report.agreement.fastVsAutograd).toBeLessThanOrEqual(1e-12);
    expect(report.agreement.autogradVsNumeric).toBeLessThan(1e-5);
    expect(report.agreement.fastVsNumeric).toBeLessThan(1e-5);
    expect(report.msPerEpoch.fast).toBeGreaterThan(0);
    expect(report.msPerEpoch.autograd).toBeGreaterThan(0);
    expect(report.msPerEpoch.compiled).toBeGreaterThan(0);
    expect(report.history.compiled).toHaveLength(report.history.autograd.length);
    expect(report.history.fast).toHaveLength(3);
    expect(report.confusionMatrix).toHaveLength(dataset === 'digits' ? 10 : 2);
    expect(JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')).dataset).toBe(dataset);
    const svg = readFileSync(join(dir, 'loss.svg'), 'utf8');
    expect(svg).toContain('<svg');
    expect(svg).toContain('epoch');
  });

  test('options change the run: --hidden, --seed, --lr', async () => {
    const r = await run('demo', '--json', '--epochs=1', '--hidden', '8,4', '--seed', '3', '--lr', '0.01', '--out', join(out, 'opts'));
    const report = JSON.parse(r.stdout);
    expect(report.network.sizes).toEqual([30, 8, 4, 1]);
    expect(report.options).toMatchObject({ epochs: 1, seed: 3, lr: 0.01 });
    expect(report.agreement.parameters).toHaveLength(6);
  });
});

describe('tapegrad demo (human output)', () => {
  test('prints the agreement table, plain progress lines off a terminal, timings and the confusion matrix', async () => {
    const r = await run('demo', '--epochs', '2', '--out', join(out, 'human'));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Gradient agreement on the untrained network');
    expect(r.stdout).toMatch(/fast path .* epoch 2\/2 .*done in/);
    expect(r.stdout).toMatch(/autograd .* epoch 2\/2/);
    expect(r.stdout).not.toContain('\r');
    expect(r.stdout).toMatch(/median time per epoch: fast path .* ms, autograd .* ms, autograd compiled .* ms \(eager autograd takes .*× the fast path's time; compiled, .*×\)/);
    expect(r.stdout).toContain('Confusion matrix');
    expect(existsSync(join(out, 'human', 'loss.svg'))).toBe(true);
  });
});

describe('progress on a terminal', () => {
  test('redraws one line with \\r and ends it with a newline', async () => {
    const m = memoryIo();
    const chunks: string[] = [];
    const code = await main(['demo', '--epochs', '3', '--out', join(out, 'tty')], { ...m.io, out: (t) => void chunks.push(t), isTTY: true });
    expect(code).toBe(0);
    const bars = chunks.filter((c) => c.startsWith('\r'));
    expect(bars).toHaveLength(9); // three runs: fast path, autograd, autograd compiled
    expect(bars[0]).toMatch(/ETA/);
    expect(bars[2]!.endsWith('\n')).toBe(true);
  });
});

describe('usage', () => {
  test('--help documents every option', async () => {
    const r = await run('--help');
    expect(r.code).toBe(0);
    for (const flag of ['--dataset', '--epochs', '--seed', '--lr', '--hidden', '--json', '--out', 'check', 'neuron']) expect(r.stdout).toContain(flag);
    expect((await run('demo', '--help')).stdout).toBe(r.stdout);
  });

  test('bad arguments exit 2 with a message', async () => {
    expect(await run('demo', '--epochs', 'zero')).toMatchObject({ code: 2, stderr: expect.stringContaining("--epochs must be an integer ≥ 1, got 'zero'") });
    expect(await run('demo', '--dataset', 'iris')).toMatchObject({ code: 2, stderr: expect.stringContaining('--dataset must be breastCancer, digits or words') });
    expect(await run('demo', '--frobnicate')).toMatchObject({ code: 2, stderr: expect.stringContaining("unknown option '--frobnicate'") });
    expect(await run('train')).toMatchObject({ code: 2, stderr: expect.stringContaining("unknown command 'train'") });
  });

  test('neuron: the scalar seed derivation still runs', async () => {
    const r = await run('neuron');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('The tape recovers ∂L/∂z = ŷ − t at every point.');
  });
});

describe('tapegrad check', () => {
  test('every op and every random network passes, exit 0', async () => {
    const r = await run('check');
    expect(r.stdout).not.toContain('FAIL');
    expect(r.stdout).toMatch(/\d+ passed, 0 failed/);
    expect(r.stdout).toContain('4-');
    expect(r.code).toBe(0);
  });
});

describe('the model demos (tiny runs)', () => {
  test('demo --dataset digits --model cnn --json: both accuracies, the gradient table, the files', async () => {
    const dir = join(out, 'cnn');
    const r = await run('demo', '--dataset', 'digits', '--model', 'cnn', '--epochs', '1', '--json', '--out', dir);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({ dataset: 'digits', model: 'cnn', options: { epochs: 1 } });
    expect(report.split.train + report.split.test).toBe(1797);
    expect(report.testAccuracy).toBeGreaterThan(0.5);
    expect(report.mlpTestAccuracy).toBeGreaterThan(0.9);
    expect(report.agreement.isWithinTolerance).toBe(true);
    expect(report.agreement.parameters.map((p: { name: string }) => p.name)).toEqual(['0.weight', '0.bias', '1.weight', '1.bias', '4.weight', '4.bias', '5.weight', '5.bias', '10.weight', '10.bias']);
    expect(report.history).toHaveLength(1);
    // The CNN (conv, batch norm, max-pool, dropout) trains compiled, and one epoch is timed each way.
    expect(report.compile).toBe('compiles');
    expect(report.msPerEpoch.eager).toBeGreaterThan(0);
    expect(report.msPerEpoch.compiled).toBeGreaterThan(0);
    expect(readFileSync(join(dir, 'digits-cnn-loss.svg'), 'utf8')).toContain('<svg');
    expect(JSON.parse(readFileSync(join(dir, 'digits-cnn-report.json'), 'utf8')).model).toBe('cnn');
  });

  test.each(['mlp', 'transformer'])('demo --dataset words --model %s: losses, samples, files', async (model) => {
    const dir = join(out, `words-${model}`);
    // A tiny model: width 8 (four heads of 2 for the transformer), context 4, one epoch of 100 steps of 8 examples.
    const r = await run('demo', '--dataset', 'words', '--model', model, '--epochs', '1', '--hidden', '8', '--context', '4', '--batch-size', '8', '--out', dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('sampled words: ');
    expect(r.stdout).toContain('autograd vs numeric');
    const report = JSON.parse(readFileSync(join(dir, `words-${model}-report.json`), 'utf8'));
    expect(report.model).toBe(model);
    expect(report.split.trainWords + report.split.valWords).toBe(63875);
    expect(report.final.valLoss).toBeLessThan(report.uniformLoss);
    expect(report.samples).toHaveLength(12);
    expect(report.agreement.isWithinTolerance).toBe(true);
    expect(report.options).toMatchObject({ epochs: 1, contextSize: 4, batchSize: 8 });
    expect(report.compile).toBe('compiles');
    expect(report.msPerEpoch.eager).toBeGreaterThan(0);
    expect(report.msPerEpoch.compiled).toBeGreaterThan(0);
    expect(r.stdout).toMatch(/one epoch of the same batches: eager [\d.]+ ms, compiled [\d.]+ ms/);
  }, 120_000);

  test('usage errors', async () => {
    expect(await run('demo', '--model', 'cnn')).toMatchObject({ code: 2, stderr: expect.stringContaining("--model cnn needs --dataset digits, got 'breastCancer'") });
    expect(await run('demo', '--dataset', 'digits', '--model', 'transformer')).toMatchObject({ code: 2, stderr: expect.stringContaining('--model transformer needs --dataset words') });
    expect(await run('demo', '--model', 'rnn')).toMatchObject({ code: 2, stderr: expect.stringContaining("--model must be mlp, cnn or transformer, got 'rnn'") });
  });
});
