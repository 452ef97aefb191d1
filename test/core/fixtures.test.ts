/**
 * Replays every case of the PyTorch golden file (`test/fixtures/torch-gradients.json`, written by
 * `scripts/torch-fixtures.py`) through the Tensor engine, and the scalar cases through `Value` too:
 * values, input gradients, intermediate gradients (via `retainGrad`) and inputs updated in place
 * (batchNorm's running statistics) at 1e-9 relative + absolute.
 */
import { readFileSync } from 'node:fs';
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
/** An argument: a name, a number, a list of names (concat), or a literal (`{ value }`: sizes, null, …). */
type Arg = string | number | string[] | { readonly value: unknown };
interface Step {
  readonly out: string;
  readonly op: string;
  readonly args: Arg[];
  /** The legacy options (axis, keepdims, shape, axes). */
  readonly opts?: { axis?: number | number[]; keepdims?: boolean; shape?: number[]; axes?: number[] };
  /** The op's options object; `{ tensor: name }` entries name a tensor. */
  readonly kwargs?: Record<string, unknown>;
  /** Which tensor of a list result (split, chunk). */
  readonly pick?: number;
}
interface Case {
  readonly name: string;
  readonly inputs: Record<string, FixtureTensor>;
  readonly steps: Step[];
  readonly output: string;
  readonly value: number;
  readonly grads: Record<string, FixtureTensor>;
  readonly intermediateGrads?: Record<string, FixtureTensor>;
  /** Inputs the program updates in place, with their final values. */
  readonly after?: Record<string, number[]>;
}

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const FIXTURE = path.resolve(ROOT, 'test/fixtures/torch-gradients.json');
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
function run(step: Step, args: unknown[], env: Map<string, Tensor>): Tensor {
  const [x] = args as [Tensor];
  const o = step.opts ?? {};
  if (step.kwargs !== undefined) {
    const f = OPS[step.op];
    if (f === undefined) throw new Error(`fixture op '${step.op}' is not registered in OPS`);
    const entries = Object.entries(step.kwargs).map(([k, v]) => [k, isTensorRef(v) ? env.get(v.tensor)! : v]);
    const y = entries.length > 0 ? (f as Call)(...args, Object.fromEntries(entries)) : (f as Call)(...args);
    return step.pick === undefined ? y : (y as unknown as Tensor[])[step.pick]!;
  }
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

function isTensorRef(v: unknown): v is { tensor: string } {
  return typeof v === 'object' && v !== null && 'tensor' in v;
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
  const resolve = (a: Arg): unknown =>
    typeof a === 'number' ? a : Array.isArray(a) ? a.map((n) => env.get(n)!) : typeof a === 'object' ? a.value : env.get(a)!;
  for (const step of c.steps) {
    const y = run(step, step.args.map(resolve), env);
    env.set(step.out, y.requiresGrad ? y.retainGrad() : y);
  }
  const out = env.get(c.output)!;
  out.backward();
  return { env, out };
}

// The file is part of the repository: a missing file is a failure, not a skip.
const cases: Case[] = (JSON.parse(readFileSync(FIXTURE, 'utf8')) as { cases: Case[] }).cases;

describe('PyTorch golden gradients', () => {
  test('the file has the original cases and cases for the ops models are built from', () => {
    expect(cases.length).toBeGreaterThan(80);
    const ops = new Set(cases.flatMap((c) => c.steps.map((s) => s.op)));
    const expected = [
      'erf', 'gelu', 'silu', 'logSigmoid', 'leakyRelu', 'elu', 'gather', 'scatterAdd', 'indexSelect', 'embedding', 'oneHot', 'argmax', 'argmin',
      'layerNorm', 'cumsum', 'flip', 'split', 'chunk', 'pad', 'tile', 'repeat', 'unfold', 'fold', 'conv2d', 'conv1d', 'maxPool2d', 'avgPool2d',
      'adaptiveAvgPool2d', 'batchNorm', 'scaledDotProductAttention', 'convTranspose2d', 'einsum',
    ];
    expect(expected.filter((op) => !ops.has(op))).toEqual([]);
  });

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
    for (const [name, data] of Object.entries(c.after ?? {})) expectClose(env.get(name)!.data, data, `${c.name}: ${name} after the program`);
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
