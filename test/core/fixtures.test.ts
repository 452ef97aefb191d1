/**
 * Replays every case of the PyTorch golden file (`../shared/fixtures/torch-gradients.json`, relative to
 * the repository root) through the Tensor engine, and the scalar cases through `Value` too: values,
 * input gradients and intermediate gradients (via `retainGrad`) at 1e-9 relative + absolute.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { concat, OPS, reshape, tensor, transpose, Value, value, type Tensor } from '@tapegrad/core';
import { describe, expect, test } from 'vitest';

interface FixtureTensor {
  readonly shape: number[];
  readonly data: number[];
  readonly requiresGrad?: boolean;
  readonly kind?: 'index';
}
interface Step {
  readonly out: string;
  readonly op: string;
  readonly args: (string | number | string[])[];
  readonly opts?: { axis?: number | number[]; keepdims?: boolean; shape?: number[]; axes?: number[] };
}
interface Case {
  readonly name: string;
  readonly inputs: Record<string, FixtureTensor>;
  readonly steps: Step[];
  readonly output: string;
  readonly value: number;
  readonly grads: Record<string, FixtureTensor>;
  readonly intermediateGrads?: Record<string, FixtureTensor>;
}

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const FIXTURE = path.resolve(ROOT, '../shared/fixtures/torch-gradients.json');
const TOL = 1e-9;

function expectClose(actual: ArrayLike<number>, expected: readonly number[], what: string): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  expected.forEach((e, i) => {
    const a = actual[i]!;
    const ok = Math.abs(a - e) <= TOL + TOL * Math.abs(e);
    expect(ok, `${what}[${i}]: got ${a}, PyTorch ${e}`).toBe(true);
  });
}

type Call = (...args: unknown[]) => Tensor;

/** Runs one fixture step with the project's op of that name. */
function run(step: Step, args: unknown[]): Tensor {
  const [x] = args as [Tensor];
  const o = step.opts ?? {};
  switch (step.op) {
    case 'sum':
    case 'mean':
    case 'max':
    case 'min':
    case 'logsumexp':
      return (OPS[step.op] as Call)(x, o.axis, o.keepdims ?? false);
    case 'softmax':
    case 'logSoftmax':
      return (OPS[step.op] as Call)(x, o.axis ?? -1);
    case 'reshape':
      return reshape(x, o.shape!);
    case 'transpose':
      return transpose(x, o.axes);
    case 'concat':
      return concat(args[0] as Tensor[], (o.axis as number | undefined) ?? 0);
    default: {
      const f = OPS[step.op];
      if (f === undefined) throw new Error(`fixture op '${step.op}' is not registered in OPS`);
      return (f as Call)(...args);
    }
  }
}

interface Replay {
  readonly env: Map<string, Tensor>;
  readonly out: Tensor;
}

function replayTensor(c: Case): Replay {
  const env = new Map<string, Tensor>();
  for (const [name, t] of Object.entries(c.inputs)) {
    env.set(name, tensor(t.data, { shape: t.shape, requiresGrad: t.kind !== 'index' && (t.requiresGrad ?? false) }));
  }
  const resolve = (a: string | number | string[]): unknown =>
    typeof a === 'number' ? a : Array.isArray(a) ? a.map((n) => env.get(n)!) : env.get(a)!;
  for (const step of c.steps) env.set(step.out, run(step, step.args.map(resolve)).retainGrad());
  const out = env.get(c.output)!;
  out.backward();
  return { env, out };
}

const cases: Case[] = existsSync(FIXTURE) ? (JSON.parse(readFileSync(FIXTURE, 'utf8')) as { cases: Case[] }).cases : [];
const suite = cases.length > 0 ? describe : describe.skip;

suite(`PyTorch golden gradients${cases.length > 0 ? '' : ` (skipped: ${FIXTURE} not found)`}`, () => {
  test('the file has cases', () => expect(cases.length).toBeGreaterThan(30));

  test.each(cases.map((c) => [c.name, c] as const))('%s: value, gradients and intermediate gradients (Tensor)', (_name, c) => {
    const { env, out } = replayTensor(c);
    expectClose([out.item()], [c.value], `${c.name} value`);
    for (const [name, g] of Object.entries(c.grads)) {
      const x = env.get(name)!;
      expect(x.grad, `${c.name}: no gradient for ${name}`).not.toBeNull();
      expect(x.grad!.shape).toEqual(g.shape);
      expectClose(x.grad!.data, g.data, `${c.name} d${c.output}/d${name}`);
    }
    for (const [name, g] of Object.entries(c.intermediateGrads ?? {})) {
      const t = env.get(name)!;
      expect(t.grad, `${c.name}: no retained gradient for step ${name}`).not.toBeNull();
      expect(t.grad!.shape).toEqual(g.shape);
      expectClose(t.grad!.data, g.data, `${c.name} d${c.output}/d${name}`);
    }
  });

  const scalarCases = cases.filter((c) => c.name.startsWith('scalar_'));
  test.each(scalarCases.map((c) => [c.name, c] as const))('%s: value and gradients (Value)', (_name, c) => {
    const env = new Map<string, Value>();
    for (const [name, t] of Object.entries(c.inputs)) env.set(name, value(t.data[0]!, t.requiresGrad ?? false));
    for (const step of c.steps) {
      const args = step.args.map((a) => (typeof a === 'number' ? a : env.get(a as string)!));
      env.set(step.out, (OPS[step.op] as (...xs: unknown[]) => Value)(...args));
    }
    const out = env.get(c.output)!;
    out.backward();
    expectClose([out.data], [c.value], `${c.name} value`);
    for (const [name, g] of Object.entries(c.grads)) expectClose([env.get(name)!.grad], g.data, `${c.name} d${c.output}/d${name}`);
  });

  test('seed network: dL/dz2 = (ŷ − t)/m, and dL/dW2 = a1ᵀ·dz2, from the generic rules', () => {
    const c = cases.find((k) => k.name === 'seed_network_bce_sigmoid')!;
    const { env } = replayTensor(c);
    const [yhat, t, z2, a1, W2] = ['yhat', 't', 'z2', 'a1', 'W2'].map((n) => env.get(n)!) as [Tensor, Tensor, Tensor, Tensor, Tensor];
    const m = t.shape[0]!;
    expect(z2.shape).toEqual([m, 1]);
    // Two rules meet at z2: binaryCrossEntropy's −t/ŷ + (1 − t)/(1 − ŷ), scaled by the mean's 1/m, and sigmoid's ŷ(1 − ŷ).
    const expected = Array.from(yhat.data, (y, i) => (y - t.data[i]!) / m);
    expectClose(z2.grad!.data, expected, 'dL/dz2 vs (ŷ − t)/m');
    expectClose(z2.grad!.data, c.intermediateGrads!.z2!.data, 'dL/dz2 vs PyTorch');
    const dW2 = a1.detach().matmul(z2.grad!, { transposeA: true });
    expectClose(W2.grad!.data, Array.from(dW2.data), 'dL/dW2 vs a1ᵀ·dz2');
  });
});
