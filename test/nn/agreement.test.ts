import { binaryCrossEntropy, matmul, randn, Rng, sigmoid, tensor, type Tensor } from '@tapegrad/core';
import { compareGradients, fastGrad, fastStep, MLP, outputLoss, type ActivationName, type OutputName } from '@tapegrad/nn';
import { describe, expect, test } from 'vitest';

/** Rows-as-examples `[m, k]` from the fast path's columns `[k, m]`. */
function rowsFromColumns(cols: ArrayLike<number>, k: number, m: number): Float64Array {
  const out = new Float64Array(k * m);
  for (let j = 0; j < k; j++) for (let i = 0; i < m; i++) out[i * k + j] = cols[j * m + i]!;
  return out;
}

function maxRel(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i]! - b[i]!));
    s = Math.max(s, Math.abs(b[i]!));
  }
  return d === 0 ? 0 : d / s;
}

const OUTPUTS: [OutputName, number][] = [['sigmoid', 1], ['softmax', 3], ['identity', 2]];

function targets(output: OutputName, m: number, k: number, rng: Rng): Tensor {
  if (output === 'softmax') return tensor(Array.from({ length: m }, () => rng.int(k)));
  if (output === 'sigmoid') return tensor(Array.from({ length: m * k }, () => rng.int(2)), { shape: [m, k] });
  return randn([m, k], { seed: rng.nextUint32() });
}

/** Every depth 1–4 × hidden activation × output pair, with random widths and data (seeded). */
const cases = [1, 2, 3, 4].flatMap((depth) =>
  (['sigmoid', 'tanh', 'relu'] as ActivationName[]).flatMap((activation) =>
    OUTPUTS.map(([output, k]) => ({ depth, activation, output, k, name: `depth ${depth}, ${activation} → ${output}` }))));

function build(c: (typeof cases)[number], seed: number): { model: MLP; X: Tensor; T: Tensor; m: number } {
  const rng = new Rng(seed);
  const sizes = [2 + rng.int(4), ...Array.from({ length: c.depth - 1 }, () => 2 + rng.int(4)), c.k];
  const model = new MLP({ sizes, activation: c.activation, output: c.output, seed: rng.nextUint32() });
  const m = 5 + rng.int(4);
  return { model, X: randn([m, sizes[0]!], { seed: rng.nextUint32() }), T: targets(c.output, m, c.k, rng), m };
}

describe('fast path vs autograd vs finite differences, random networks in float64', () => {
  test.each(cases.map((c, i) => ({ ...c, seed: 1000 + i })))('$name', (c) => {
    const { model, X, T } = build(c, c.seed);
    const r = compareGradients(model, X, T);
    expect(r.parameters).toHaveLength(2 * c.depth);
    for (const p of r.parameters) {
      expect(p.fastVsAutograd.relative, `${p.name} fast vs autograd`).toBeLessThanOrEqual(1e-12);
      expect(p.isAutogradWithinTolerance, `${p.name} autograd vs finite differences`).toBe(true);
      expect(p.isFastWithinTolerance, `${p.name} fast vs finite differences`).toBe(true);
    }
    expect(r.isWithinTolerance).toBe(true);
  });
});

describe('fastGrad: the step of fastStep without the pass', () => {
  const grads = (model: MLP): number[][] => model.parameters().map((p) => Array.from(p.grad!.data));
  test.each(cases.flatMap((c, i) => (['float64', 'float32'] as const).map((dtype) => ({ ...c, dtype, seed: 3000 + i }))))('$name, $dtype', (c) => {
    const { model, X, T } = build(c, c.seed);
    const { sizes } = model;
    const net = new MLP({ sizes, activation: c.activation, output: c.output, dtype: c.dtype, seed: c.seed });
    const twin = new MLP({ sizes, activation: c.activation, output: c.output, dtype: c.dtype, seed: c.seed });
    // Twice each: the first call creates .grad, the second adds into it.
    const passes = [fastStep(net, X, T), fastStep(net, X, T)];
    const losses = [fastGrad(twin, X, T), fastGrad(twin, X, T)];
    expect(losses).toEqual(passes.map((p) => p.loss));
    expect(grads(twin)).toEqual(grads(net));
    expect(twin.parameters()[0]!.grad!.dtype).toBe(c.dtype);
  });

  test('leaves a pass that fastStep returned as it was', () => {
    const model = new MLP({ sizes: [3, 4, 2], output: 'softmax', seed: 1 });
    const pass = fastStep(model, tensor([[0.5, -1, 2]]), tensor([1]));
    const kept = pass.dZ.map((a) => Array.from(a));
    fastGrad(model, tensor([[4, 4, 4]]), tensor([0]));
    expect(pass.dZ.map((a) => Array.from(a))).toEqual(kept);
  });
});

describe("the seed's two claims, asserted directly with retainGrad", () => {
  test.each(cases.map((c, i) => ({ ...c, seed: 2000 + i })))('$name', (c) => {
    const { model, X, T, m } = build(c, c.seed);
    const L = model.depth;
    const { Z, A } = model.forwardTrace(X);
    Z.forEach((z) => z.retainGrad());
    A.slice(1).forEach((a) => a.retainGrad());
    model.zeroGrad();
    outputLoss(model.output, Z[L - 1]!, T).backward();
    const pass = fastStep(model, X, T);
    // Claim 1: autograd's ∂L/∂Z_L equals the fast path's dZ_L = c·(Ŷ − T).
    const k = model.sizes[L]!;
    expect(maxRel(rowsFromColumns(pass.dZ[L]!, k, m), Z[L - 1]!.grad!.data)).toBeLessThanOrEqual(1e-12);
    for (let l = L; l >= 2; l--) {
      const W = model.layers[l - 1]!.weight;
      const nPrev = model.sizes[l - 1]!;
      // Claim 2: dA_{l−1} = W_lᵀ·dZ_l. In rows (examples as rows) that is dZ_l·W_l.
      const WtdZ = matmul(Z[l - 1]!.grad!, W.detach());
      expect(maxRel(A[l - 1]!.grad!.data, WtdZ.data), `autograd dA_${l - 1}`).toBeLessThanOrEqual(1e-12);
      expect(maxRel(rowsFromColumns(pass.dA[l - 1]!, nPrev, m), WtdZ.data), `fast dA_${l - 1}`).toBeLessThanOrEqual(1e-12);
      expect(maxRel(rowsFromColumns(pass.dZ[l - 1]!, nPrev, m), Z[l - 2]!.grad!.data), `dZ_${l - 1}`).toBeLessThanOrEqual(1e-12);
    }
  });
});

describe('saturation: output logits up to ±40', () => {
  /** A sigmoid network whose logits are pushed to ±40 by the output bias and a small output weight. */
  function saturated(): { model: MLP; X: Tensor; T: Tensor } {
    const model = new MLP({ sizes: [3, 4, 1], activation: 'tanh', output: 'sigmoid', seed: 5 });
    const out = model.layers[1]!;
    out.weight.data.set([0.01, -0.02, 0.015, 0.01]);
    const X = randn([6, 3], { seed: 6 });
    // Targets that agree and disagree with the saturated prediction.
    const T = tensor([1, 0, 1, 0, 1, 0]);
    return { model, X, T };
  }

  test.each([40, -40])('fast path matches autograd on binaryCrossEntropyWithLogits exactly at logit %d', (b) => {
    const { model, X, T } = saturated();
    model.layers[1]!.bias!.data[0] = b;
    const z = model.forward(X);
    for (const v of z.data) expect(Math.abs(v)).toBeGreaterThan(39);
    const r = compareGradients(model, X, T, { numeric: false });
    expect(r.fastVsAutograd).toBe(0);
    // ∂L/∂Z_L is exactly (σ(z) − t)/m: 0 for a confident correct prediction, ∓1/m for a confident wrong one.
    const { Z } = model.forwardTrace(X);
    Z[1]!.retainGrad();
    outputLoss(model.output, Z[1]!, T).backward();
    const pass = fastStep(model, X, T);
    expect(Array.from(Z[1]!.grad!.data)).toEqual(Array.from(pass.dZ[2]!));
    for (let i = 0; i < 6; i++) expect(Math.abs(pass.dZ[2]![i]!)).toBeCloseTo(T.data[i] === (b > 0 ? 1 : 0) ? 0 : 1 / 6, 15);
  });

  test('a probability-based, clamped BCE is wrong at saturation (why the logits form is used)', () => {
    // σ(40) rounds to exactly 1 in float64: ln(1 − ŷ) is clamped at −100, and ∂ℓ/∂ŷ·∂ŷ/∂z = ∞·0.
    const z = tensor([40], { requiresGrad: true });
    const clamped = binaryCrossEntropy(sigmoid(z), tensor([0]));
    clamped.backward();
    expect(clamped.item()).toBe(100);
    expect(z.grad!.data[0]).toBeNaN();
    // On the logits: ℓ = softplus(z) − t·z = 40, ∂ℓ/∂z = σ(z) − t = 1, as the fast path's dZ_L.
    const model = new MLP({ sizes: [1, 1], output: 'sigmoid', seed: 1 });
    model.layers[0]!.weight.data[0] = 0;
    model.layers[0]!.bias!.data[0] = 40;
    const pass = fastStep(model, tensor([[0.5]]), tensor([0]));
    expect(pass.loss).toBe(40);
    expect(pass.dZ[1]![0]).toBe(1);
    expect(outputLoss('sigmoid', tensor([[40]]), tensor([0])).item()).toBe(40);
  });
});

test('float32 networks run the fast path in float32 and agree with autograd to float32 precision', () => {
  const model = new MLP({ sizes: [4, 5, 3], activation: 'tanh', output: 'softmax', seed: 3, dtype: 'float32' });
  const X = randn([6, 4], { seed: 4, dtype: 'float32' });
  const T = tensor([0, 1, 2, 2, 1, 0]);
  const r = compareGradients(model, X, T, { numeric: false });
  expect(r.fastVsAutograd).toBeLessThan(1e-5);
  expect(model.layers[0]!.weight.grad).toBeNull();
  fastStep(model, X, T);
  expect(model.layers[0]!.weight.grad!.dtype).toBe('float32');
});
