// Fused elementwise runs as generated WebAssembly SIMD: the generated loop gives the JavaScript loop's bits
// for every op, dtype, length (vector part and scalar tail) and special value; a compiled step with SIMD runs
// equals the same step without them bit for bit; buffers outside the GEMM's memory fall back to JavaScript.
import { afterAll, describe, expect, it } from 'vitest';
import { binaryCrossEntropy, compile, gt, randn, type Tensor } from '@tapegrad/core';
import { gemmArena } from '../../packages/core/src/kernels/gemm.ts';
import {
  elementwiseModuleBytes, wasmElementwiseRun, type SimdInstruction, type WasmRunSpec,
} from '../../packages/core/src/kernels/wasm/elementwise-wasm.ts';
import { setPlanResidency, setPlanSimdRuns } from '../../packages/core/src/transforms/compile/plan.ts';

afterAll(() => {
  setPlanSimdRuns(true);
  setPlanResidency(true);
});

type Arr = Float64Array | Float32Array;
const SPECIAL = [0, -0, 1, -1, Infinity, -Infinity, NaN, 5e-324, -2.2e-308, 1e308, 3.4e38, 1e-45, 0.1, 1 / 3];

/** What the plan's JavaScript loop computes: each op in float64, rounded to float32 for float32 runs. */
function reference(spec: WasmRunSpec, ins: readonly Arr[]): number[][] {
  const fr = spec.isF32 ? Math.fround : (x: number) => x;
  const f: Record<SimdInstruction, (a: number, b: number) => number> = {
    add: (a, b) => a + b, sub: (a, b) => a - b, mul: (a, b) => a * b, div: (a, b) => a / b, neg: (a) => -a,
  };
  const outs = spec.outputs.map(() => [] as number[]);
  for (let i = 0; i < spec.n; i++) {
    const reg: number[] = [];
    const read = (x: { input: number } | { reg: number }): number =>
      'reg' in x ? reg[x.reg]! : spec.inputs[x.input] === 'scalar' ? ins[x.input]![0]! : ins[x.input]![i]!;
    for (const op of spec.ops) reg.push(fr(f[op.instruction](read(op.a), op.b === undefined ? 0 : read(op.b))));
    spec.outputs.forEach((r, o) => outs[o]!.push(reg[r]!));
  }
  return outs;
}

/** A deterministic random run of 1–6 ops over 1–3 inputs (some scalar). */
function randomSpec(seed: number, isF32: boolean, n: number): WasmRunSpec {
  let s = seed;
  const rand = (k: number): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s % k;
  };
  const inputs = Array.from({ length: 1 + rand(3) }, (_, k) => (k > 0 && rand(3) === 0 ? 'scalar' : 'full') as 'full' | 'scalar');
  const instructions: SimdInstruction[] = ['add', 'sub', 'mul', 'div', 'neg'];
  const ops: WasmRunSpec['ops'][number][] = [];
  const count = 1 + rand(6);
  for (let j = 0; j < count; j++) {
    const operand = () => (j > 0 && rand(2) === 0 ? { reg: rand(j) } : { input: rand(inputs.length) });
    const instruction = instructions[rand(5)]!;
    ops.push(instruction === 'neg' ? { instruction, a: operand() } : { instruction, a: operand(), b: operand() });
  }
  const outputs = [count - 1, ...(count > 1 && rand(2) === 0 ? [rand(count - 1)] : [])];
  return { isF32, n, inputs, ops, outputs };
}

const same = (got: Arr, want: number[]): boolean => want.every((w, i) => Object.is(got[i], w));

describe('generated SIMD loops', () => {
  it('the module validates, and has only the one function it needs', () => {
    const bytes = elementwiseModuleBytes(randomSpec(1, false, 100));
    expect(WebAssembly.validate(bytes)).toBe(true);
    expect(bytes.length).toBeLessThan(1024);
  });

  for (const isF32 of [false, true]) {
    it(`${isF32 ? 'float32' : 'float64'}: 300 random runs, lengths 1–67, special values: the JavaScript loop's bits`, () => {
      const arena = gemmArena()!;
      for (let t = 0; t < 300; t++) {
        const n = 1 + (t % 67);
        const spec = randomSpec(1000 + t, isF32, n);
        const run = wasmElementwiseRun(spec)!;
        expect(run).toBeDefined();
        const ins = spec.inputs.map((kind, k) => {
          const x = arena.alloc(isF32, kind === 'scalar' ? 1 : n)!;
          for (let i = 0; i < x.length; i++) x[i] = (i + k + t) % 3 === 0 ? SPECIAL[(i * 7 + k + t) % SPECIAL.length]! : Math.sin(i * 12.9898 + k * 78.233 + t) * 4;
          return x;
        });
        const outs = spec.outputs.map(() => arena.alloc(isF32, n)!);
        expect(run(ins, outs)).toBe(true);
        const want = reference(spec, ins);
        outs.forEach((o, k) => expect(same(o, want[k]!), `run ${t}: ${JSON.stringify(spec.ops)} output ${k}`).toBe(true));
      }
    });
  }

  it('buffers outside the GEMM\'s memory: the run reports false and writes nothing', () => {
    const spec = randomSpec(7, false, 80);
    const run = wasmElementwiseRun(spec)!;
    const ins = spec.inputs.map((kind) => new Float64Array(kind === 'scalar' ? 1 : 80).fill(2));
    const outs = spec.outputs.map(() => new Float64Array(80).fill(-7));
    expect(run(ins, outs)).toBe(false);
    for (const o of outs) expect(o.every((v) => v === -7)).toBe(true);
  });
});

describe('compiled steps with SIMD runs', () => {
  const mlp = () => {
    const w1 = randn([12, 96], { seed: 1, requiresGrad: true });
    const b1 = randn([96], { seed: 2, requiresGrad: true });
    const w2 = randn([96, 1], { seed: 3, requiresGrad: true });
    const params = [w1, b1, w2];
    const step = (x: Tensor, t: Tensor): number => {
      for (const p of params) p.grad = null;
      const h = x.matmul(w1).add(b1).sigmoid();
      // A loss whose backward has runs of add/sub/mul/div/neg over 128×96 elements.
      const y = h.matmul(w2).sigmoid();
      const loss = binaryCrossEntropy(y, t).add(h.mul(h).sub(h.div(3)).neg().mean());
      loss.backward();
      return loss.item();
    };
    return { params, step };
  };
  const x = randn([128, 12], { seed: 4 });
  const t = gt(randn([128, 1], { seed: 5 }), 0);

  /**
   * Builds plan A with `setSwitch(false)` in force (a plan is built on its first call, under the switch as it
   * is then) and plan B with it back on, steps both on the same data, and expects the same loss and gradients
   * bit for bit. Returns both compiled steps, for their stats.
   */
  function stepSideBySide(setSwitch: (isOn: boolean) => void) {
    setSwitch(false);
    const a = mlp();
    const stepA = compile(a.step);
    const first = stepA(x, t);
    setSwitch(true);
    const b = mlp();
    const stepB = compile(b.step);
    expect(Object.is(stepB(x, t), first)).toBe(true);
    for (let i = 0; i < 3; i++) {
      expect(Object.is(stepB(x, t), stepA(x, t))).toBe(true);
      a.params.forEach((p, k) => expect(Array.from(b.params[k]!.grad!.data)).toEqual(Array.from(p.grad!.data)));
    }
    return { stepA, stepB };
  }

  it('equals the plan with JavaScript loops bit for bit, and counts its SIMD runs', () => {
    const { stepA, stepB } = stepSideBySide(setPlanSimdRuns);
    expect(stepA.stats().wasmFusedSteps).toBe(0);
    expect(stepB.stats().wasmFusedSteps).toBeGreaterThan(0);
  });

  it('a plan whose buffers are not in the GEMM\'s memory runs its JavaScript loops: the same bits', () => {
    const { stepA } = stepSideBySide(setPlanResidency);
    expect(stepA.stats().wasmResidentBuffers).toBe(0);
    expect(stepA.stats().wasmFusedSteps).toBeGreaterThan(0); // built, but its buffers are ordinary: JavaScript ran
  });
});
