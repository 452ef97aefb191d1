import {
  binaryCrossEntropy,
  crossEntropy,
  compile,
  CompileError,
  detectAnomaly,
  gt,
  GradError,
  noGrad,
  randn,
  Rng,
  subInPlace,
  tapeLength,
  tensor,
  type Tensor,
  value,
  type Value,
} from '@tapegrad/core';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { execute, programArb } from '../reliability/fuzz-program.ts';

/** A two-layer sigmoid network on BCE, as in the seed derivation. */
function mlp(seed: number, dtype: 'float64' | 'float32' = 'float64') {
  const params = [
    randn([8, 6], { seed, dtype, requiresGrad: true }),
    randn([6], { seed: seed + 1, dtype, requiresGrad: true }),
    randn([6, 1], { seed: seed + 2, dtype, requiresGrad: true }),
    randn([1], { seed: seed + 3, dtype, requiresGrad: true }),
  ] as const;
  const [w1, b1, w2, b2] = params;
  const step = (x: Tensor, t: Tensor): Tensor => {
    const h = x.matmul(w1).add(b1).sigmoid();
    const y = h.matmul(w2).add(b2).sigmoid();
    const loss = binaryCrossEntropy(y, t);
    loss.backward();
    return loss;
  };
  return { params, step };
}

const data = (seed: number, dtype: 'float64' | 'float32' = 'float64') => ({
  x: randn([16, 8], { seed: seed + 10, dtype }),
  t: gt(randn([16, 1], { seed: seed + 11, dtype }), 0),
});

function sgd(params: readonly Tensor[]): void {
  noGrad(() => {
    for (const p of params) {
      subInPlace(p, p.grad!.mul(0.5));
      p.grad = null;
    }
  });
}

const bits = (t: Tensor): number[] => Array.from(t.data);

describe('compile: the same numbers as eager', () => {
  // Batch 256 puts 1536 elements through each sigmoid: the plan then runs sigmoid's whole-buffer SIMD kernel.
  test.each([16, 256])('an MLP training step (batch %i), five steps with updates: losses and gradients bit for bit (float64)', (batch) => {
    const eager = mlp(1);
    const compiled = mlp(1);
    const step = compile(compiled.step);
    const x = randn([batch, 8], { seed: 11 });
    const t = gt(randn([batch, 1], { seed: 12 }), 0);
    for (let i = 0; i < 5; i++) {
      const le = eager.step(x, t);
      const lc = step(x, t);
      expect(Object.is(lc.item(), le.item())).toBe(true);
      eager.params.forEach((p, k) => expect(bits(compiled.params[k]!.grad!)).toEqual(bits(p.grad!)));
      sgd(eager.params);
      sgd(compiled.params);
    }
    // Both bias adds and both sigmoids are done by their GEMMs' epilogues, and the bits did not move.
    expect(step.stats()).toMatchObject({ traces: 1, replays: 4, allocationsLastCall: 0, gemmEpilogues: 2, fusedActivations: 2 });
  });

  test('float32, batch 256 (products on the Wasm kernel, bias adds in their epilogues): the forward bit for bit', () => {
    const eager = mlp(4, 'float32');
    const compiled = mlp(4, 'float32');
    const step = compile(compiled.step);
    const x = randn([256, 8], { seed: 13, dtype: 'float32' });
    const t = tensor(Array.from({ length: 256 }, (_, i) => i % 2), { shape: [256, 1], dtype: 'float32' });
    for (let i = 0; i < 3; i++) {
      // Same parameters, same forward: the loss is eager's bit for bit (the epilogue and sigmoid's kernel change no bits).
      for (const [k, p] of eager.params.entries()) compiled.params[k]!.data.set(p.data);
      expect(Object.is(step(x, t).item(), eager.step(x, t).item())).toBe(true);
      // The backward's float32 products may sum in another order than eager's raw matmul rule: within rounding.
      eager.params.forEach((p, k) => {
        const g = compiled.params[k]!.grad!.data;
        p.grad!.data.forEach((v, j) => expect(Math.abs(g[j]! - v)).toBeLessThan(1e-6 + 1e-5 * Math.abs(v)));
      });
      sgd(eager.params);
      sgd(compiled.params);
    }
    // The first layer's product (256×6×8) runs on the Wasm kernel with its epilogue; the second (n = 1) in
    // JavaScript, which rounds the product to float32 before its epilogue adds the bias: both are fused.
    expect(step.stats()).toMatchObject({ gemmEpilogues: 2, fusedActivations: 2 });
  });

  test('float32: within float32 rounding of eager', () => {
    const eager = mlp(2, 'float32');
    const compiled = mlp(2, 'float32');
    const step = compile(compiled.step);
    const x = randn([16, 8], { seed: 3, dtype: 'float32' });
    const t = tensor(Array.from({ length: 16 }, (_, i) => i % 2), { shape: [16, 1], dtype: 'float32' });
    for (let i = 0; i < 3; i++) {
      const le = eager.step(x, t).item();
      const lc = step(x, t).item();
      expect(Math.abs(lc - le)).toBeLessThan(1e-6);
      eager.params.forEach((p, k) => {
        const g = compiled.params[k]!.grad!.data;
        p.grad!.data.forEach((v, j) => expect(Math.abs(g[j]! - v)).toBeLessThan(1e-5));
      });
      sgd(eager.params);
      sgd(compiled.params);
    }
  });

  test('random programs from the fuzzer: compiled replays equal eager to 1e-12', () => {
    let checked = 0;
    fc.assert(
      fc.property(programArb, (p) => {
        const rng = new Rng(p.seed % 9973);
        const frozen: (Tensor | undefined)[] = [];
        const leaves = () => p.inputs.map((x) => tensor(Array.from(x.data), { shape: x.shape, requiresGrad: true }));
        const probe = execute(p, leaves(), frozen, false);
        if (!probe.requiresGrad) return;
        const u = tensor(Array.from({ length: probe.size }, () => rng.normal()), { shape: probe.shape });
        const f = (...xs: Tensor[]): Tensor => {
          const out = execute(p, xs, [], false);
          out.backward(u);
          return out;
        };
        const eagerIn = leaves();
        const eagerOut = f(...eagerIn);
        const c = compile(f);
        c(...leaves()); // trace
        const replayIn = leaves();
        const out = c(...replayIn); // replay
        expect(c.stats().replays).toBe(1);
        const close = (a: ArrayLike<number>, b: ArrayLike<number>) => {
          for (let j = 0; j < a.length; j++) {
            if (Number.isNaN(b[j]!)) expect(Number.isNaN(a[j]!)).toBe(true);
            else expect(Math.abs(a[j]! - b[j]!)).toBeLessThanOrEqual(1e-12 * (1 + Math.abs(b[j]!)));
          }
        };
        close(out.data, eagerOut.data);
        eagerIn.forEach((x, k) => {
          expect(replayIn[k]!.grad === null).toBe(x.grad === null);
          if (x.grad !== null) close(replayIn[k]!.grad!.data, x.grad.data);
        });
        checked++;
      }),
      { seed: 20261207, numRuns: 80 },
    );
    expect(checked).toBeGreaterThan(30);
  });
});

describe('compile: signatures, guards and refusals', () => {
  test('a new input signature retraces; a known one replays', () => {
    const { step, params } = mlp(4);
    const c = compile(step);
    const zero = () => params.forEach((p) => (p.grad = null));
    c(randn([16, 8], { seed: 1 }), tensor(new Array(16).fill(1), { shape: [16, 1] }));
    zero();
    c(randn([16, 8], { seed: 2 }), tensor(new Array(16).fill(0), { shape: [16, 1] }));
    expect(c.stats()).toMatchObject({ traces: 1, replays: 1 });
    zero();
    c(randn([4, 8], { seed: 3 }), tensor([1, 0, 1, 0], { shape: [4, 1] }));
    expect(c.stats()).toMatchObject({ traces: 2, replays: 1 });
    zero();
    c(randn([16, 8], { seed: 4 }), tensor(new Array(16).fill(1), { shape: [16, 1] }));
    expect(c.stats()).toMatchObject({ traces: 2, replays: 2 });
  });

  test('a gradient left in .grad is accumulated into, as eager does (a different signature)', () => {
    const eager = mlp(5);
    const compiled = mlp(5);
    const c = compile(compiled.step);
    const { x, t } = data(5);
    for (let i = 0; i < 3; i++) {
      eager.step(x, t);
      c(x, t); // no zeroing: gradients add up
    }
    eager.params.forEach((p, k) => expect(bits(compiled.params[k]!.grad!)).toEqual(bits(p.grad!)));
    expect(c.stats().traces).toBe(2); // .grad null, then set
  });

  test('reading a tensor value before the last op (a possible branch) is refused; static: false runs eagerly', () => {
    const w = tensor([1, -2], { requiresGrad: true });
    const branchy = (x: Tensor): Tensor => {
      const y = x.mul(w).sum();
      return y.item() > 0 ? y.mul(2) : y.neg();
    };
    expect(() => compile(branchy)(tensor([3, 1]))).toThrow(CompileError);
    expect(() => compile(branchy)(tensor([3, 1]))).toThrowErrorMatchingInlineSnapshot(
      `[CompileError: compile: the function read the values of a traced tensor of shape [] (item, toArray or toString) before its last operation, so it may branch on tensor values, which a replay would not see; read values only at the end (return the tensor and read it after the call), or pass { static: false } to run it eagerly]`,
    );
    const eager = compile(branchy, { static: false });
    expect(eager(tensor([3, 1])).item()).toBe(2);
    expect(eager(tensor([-3, 1])).item()).toBe(5);
    expect(eager.stats().traces).toBe(0);
  });

  test('reading the final value with item() at the end is allowed and replayed', () => {
    const w = tensor([1, -2], { requiresGrad: true });
    const c = compile((x: Tensor) => {
      const loss = x.mul(w).square().sum();
      loss.backward();
      return loss.item();
    });
    expect(c(tensor([1, 1]))).toBe(5);
    w.grad = null;
    expect(c(tensor([2, 0]))).toBe(4);
    // (The raw eager rules give +0 where this product is −0; the values are equal.)
    expect(Array.from(w.grad!.data, (v) => v + 0)).toEqual([8, 0]);
    expect(c.stats().replays).toBe(1);
  });

  test('an update written into .data behind the tracer is refused; traced in-place ops are replayed', () => {
    const w = tensor([1, 2], { requiresGrad: true });
    const raw = compile((x: Tensor) => {
      const loss = x.mul(w).sum();
      loss.backward();
      w.data[0] -= 0.1 * w.grad!.data[0]!;
      return loss;
    });
    expect(() => raw(tensor([1, 1]))).toThrow(/changed a tensor of shape \[2\] in place without a traced in-place op/);

    const v = tensor([1, 2], { requiresGrad: true });
    const traced = compile((x: Tensor) => {
      const loss = x.mul(v).square().sum();
      loss.backward();
      noGrad(() => subInPlace(v, v.grad!.mul(0.1)));
      v.grad = null;
      return loss;
    });
    const ve = tensor([1, 2], { requiresGrad: true });
    const eagerStep = (x: Tensor) => {
      const loss = x.mul(ve).square().sum();
      loss.backward();
      noGrad(() => subInPlace(ve, ve.grad!.mul(0.1)));
      ve.grad = null;
      return loss;
    };
    for (let i = 0; i < 4; i++) {
      expect(traced(tensor([1, -1])).item()).toBe(eagerStep(tensor([1, -1])).item());
    }
    expect(bits(v)).toEqual(bits(ve));
    expect(traced.stats().replays).toBe(3);
  });

  test("a replay's in-place update bumps the tensor's version, as eager does: a graph that saved it refuses to backpropagate", () => {
    const v = tensor([1, 2], { requiresGrad: true });
    const step = compile((x: Tensor) => {
      const loss = x.mul(v).sum();
      loss.backward();
      noGrad(() => subInPlace(v, v.grad!.mul(0.1)));
      v.grad = null;
      return loss;
    });
    step(tensor([1, 1]));
    step(tensor([1, 1]));
    const saved = v.mul(v).sum(); // records v's current version
    const before = v.version;
    step(tensor([1, 1])); // replayed: changes v in place
    expect(v.version).toBeGreaterThan(before);
    expect(() => saved.backward()).toThrow(GradError);
    expect(step.stats().replays).toBe(2);
  });

  test('hooks and detectAnomaly inside are refused with a clear error; noGrad and detach behave as eager', () => {
    const w = tensor([1, 2], { requiresGrad: true });
    const hooked = compile((x: Tensor) => {
      const y = x.mul(w);
      y.registerHook((g) => g.mul(2));
      const loss = y.sum();
      loss.backward();
      return loss;
    });
    expect(() => hooked(tensor([1, 1]))).toThrow(/gradient hook .* is not compiled/);
    const anomalous = compile((x: Tensor) => detectAnomaly(() => x.mul(w).sum()));
    expect(() => anomalous(tensor([1, 1]))).toThrow(/detectAnomaly/);

    const u = tensor([3, -1], { requiresGrad: true });
    const f = (x: Tensor) => {
      const frozen = noGrad(() => x.mul(u));
      const cut = u.mul(2).detach();
      const loss = x.mul(u).add(frozen).mul(cut).sum();
      loss.backward();
      return loss;
    };
    const c = compile(f);
    c(tensor([1, 2]));
    u.grad = null;
    const l1 = c(tensor([2, 5]));
    const g1 = bits(u.grad!);
    u.grad = null;
    const l0 = f(tensor([2, 5]));
    expect(l1.item()).toBe(l0.item());
    expect(g1).toEqual(bits(u.grad!));
  });

  test('buffers are planned once: no allocation per replay, fewer buffers than intermediates', () => {
    const { step } = mlp(6);
    const c = compile(step);
    const { x, t } = data(6);
    c(x, t);
    const first = c.stats();
    for (let i = 0; i < 50; i++) c(x, t);
    const after = c.stats();
    expect(after.allocationsLastCall).toBe(0);
    expect(after.buffers).toBe(first.buffers);
    // Liveness: the plan owns fewer buffers than the ops it runs produce.
    expect(after.buffers!).toBeLessThan(after.steps!);
    expect(after.fusedSteps!).toBeLessThan(after.elementwiseOps!);
  });

  test('the tracing call releases the graph it recorded, as eager backward does; a second backward throws as eager', () => {
    const { step } = mlp(7);
    const c = compile(step);
    const { x, t } = data(7);
    const before = tapeLength();
    c(x, t);
    expect(tapeLength()).toBe(before);
    c(x, t);
    expect(tapeLength()).toBe(before);
    const w = randn([3], { seed: 8, requiresGrad: true });
    const twice = (a: Tensor): Tensor => {
      const l = a.mul(w).exp().sum();
      l.backward();
      l.backward();
      return l;
    };
    const a = randn([3], { seed: 9 });
    expect(() => twice(a)).toThrow(GradError);
    expect(() => compile(twice)(a)).toThrow(GradError);
  });

  test('bad arguments get a typed error', () => {
    expect(() => compile(42 as never)).toThrowErrorMatchingInlineSnapshot(`[ArgumentError: compile: fn must be a function, got number]`);
    expect(() => compile((x: Tensor) => x)([1, 2] as never)).toThrowErrorMatchingInlineSnapshot(
      `[ArgumentError: compile: argument 0 must be a Tensor (or every argument a Value), got object]`,
    );
  });
});

describe('compile: Value programs', () => {
  /** A micrograd-style neuron layer on a toy set: the W3 shape, small. */
  function model(seed: number) {
    const rng = new Rng(seed);
    const params = Array.from({ length: 9 }, () => value(rng.normal()));
    const xs = Array.from({ length: 6 }, () => [rng.normal(), rng.normal()] as const);
    const ys = xs.map(([a, b]) => (a * b > 0 ? 1 : -1));
    const step = (): Value => {
      let loss: Value | undefined;
      xs.forEach(([a, b], i) => {
        const h = [0, 1].map((j) => params[3 * j]!.mul(a).add(params[3 * j + 1]!.mul(b)).add(params[3 * j + 2]!).tanh());
        const out = h[0]!.mul(params[6]!).add(h[1]!.mul(params[7]!)).add(params[8]!);
        const hinge = out.mul(-ys[i]!).add(1).relu();
        loss = loss === undefined ? hinge : loss.add(hinge);
      });
      for (const p of params) p.grad = 0;
      loss!.backward();
      return loss!;
    };
    return { params, step };
  }

  test('a training loop: losses and gradients bit for bit, the update outside', () => {
    const eager = model(3);
    const compiled = model(3);
    const step = compile(compiled.step);
    for (let i = 0; i < 6; i++) {
      const le = eager.step();
      const lc = step();
      expect(Object.is(lc.data, le.data)).toBe(true);
      eager.params.forEach((p, k) => expect(Object.is(compiled.params[k]!.grad, p.grad)).toBe(true));
      for (const ps of [eager.params, compiled.params]) for (const p of ps) p.data -= 0.1 * p.grad;
    }
    expect(step.stats()).toMatchObject({ traces: 1, replays: 5 });
  });

  test('Value arguments are read on every call; gradients accumulate when not zeroed', () => {
    const w = value(0.5);
    const f = compile((x: Value) => {
      const y = x.mul(w).sigmoid().log().neg();
      y.backward();
      return y;
    });
    const expected = (x: number) => -Math.log(1 / (1 + Math.exp(-x * 0.5)));
    expect(f(value(2)).data).toBeCloseTo(expected(2), 14);
    const g1 = w.grad;
    const y = f(value(-1));
    expect(y.data).toBeCloseTo(expected(-1), 14);
    // ∂/∂w of −log σ(xw) is −x(1 − σ(xw)), added to the first call's.
    const s = 1 / (1 + Math.exp(0.5));
    expect(w.grad).toBeCloseTo(g1 + 1 * (1 - s), 14);
    expect(f.stats().replays).toBe(1);
  });

  test('a branch on .data, or a parameter update inside, is refused; static: false runs eagerly', () => {
    const w = value(2);
    const branchy = () => {
      const y = w.mul(3);
      return y.data > 5 ? y.mul(2) : y.neg();
    };
    expect(() => compile(branchy)()).toThrow(/read \.data of a Value an op made before its last operation/);
    expect(compile(branchy, { static: false })().data).toBe(12);
    const updating = () => {
      const y = w.mul(w);
      w.grad = 0;
      y.backward();
      w.data -= 0.1 * w.grad;
      return y;
    };
    expect(() => compile(updating)()).toThrow(/changed \.data of a leaf Value/);
  });
});

describe('compile: ops that read values from a tensor', () => {
  test('crossEntropy reads its labels tensor again on every replay (labels are not baked in)', () => {
    const w = randn([3, 4], { seed: 9, requiresGrad: true });
    const f = (x: Tensor, labels: Tensor) => {
      const loss = crossEntropy(x.matmul(w), labels);
      w.grad = null;
      loss.backward();
      return loss;
    };
    const c = compile(f);
    const x = randn([5, 3], { seed: 10 });
    c(x, tensor([0, 1, 2, 3, 0]));
    const labels = tensor([3, 3, 1, 0, 2]);
    const lc = c(x, labels).item();
    const gc = bits(w.grad!);
    const le = f(x, labels).item();
    expect(lc).toBe(le);
    expect(gc).toEqual(bits(w.grad!));
    expect(c.stats().replays).toBe(1);
  });
});
