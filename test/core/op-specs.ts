/**
 * One spec for every op registered in `OPS`: the shapes to try (binary ops include the broadcasting
 * cases `[2,3]+[3]`, `[2,1]+[1,3]` and scalar with tensor), a domain sampler, and any tolerance override
 * with its reason. `ops.test.ts` gradchecks every case and fails when an op has no spec.
 */
import {
  abs, add, binaryCrossEntropy, binaryCrossEntropyWithLogits, broadcastTo, clamp, concat, cos, crossEntropy, div, eq, exp,
  ge, gt, le, log, log1p, logSoftmax, logsumexp, lt, matmul, max, maximum, mean, min, minimum, mseLoss, mul, ne, neg,
  pow, relu, reshape, sigmoid, sign, sin, slice, softmax, softplus, sqrt, square, squeeze, stack, sub, sum, tanh,
  tensor, transpose, unsqueeze, where, type BinaryFn, type Rng, type Shape, type Tensor,
  argmax, argmin, chunk, cumsum, dropout, elu, embedding, erf, flip, gather, gelu, indexSelect, layerNorm, leakyRelu, logSigmoid,
  oneHot, pad, repeat, scatterAdd, silu, split, tile,
  adaptiveAvgPool2d, avgPool2d, batchNorm, conv1d, conv2d, fold, maxPool2d, scaledDotProductAttention, unfold, convTranspose2d, einsum,
} from '@tapegrad/core';

/** Draws `n` values for input number `arg` of a case. */
export type Sampler = (rng: Rng, n: number, arg: number) => number[];

/** A tensor function: the op applied to tensor inputs, with its non-tensor arguments fixed. */
export type TensorFn = (...xs: Tensor[]) => Tensor;

/** One point to check: the input shapes and, when the op takes options, the call to make. */
export interface OpCase {
  readonly shapes: readonly Shape[];
  readonly fn?: TensorFn;
  readonly label?: string;
  /** For an op without a gradient whose output is not elementwise: this case's expected output. */
  readonly expected?: (...xs: Tensor[]) => { readonly shape: Shape; readonly data: readonly number[] };
}

export interface OpSpec {
  /** The key in `OPS`. */
  readonly name: string;
  /** The default call. */
  readonly fn: TensorFn;
  readonly cases: readonly OpCase[];
  /** Input values (default: standard normal). */
  readonly sample?: Sampler;
  /** Looser gradcheck tolerances, with the reason (no op needs one today: keep it that way when you can). */
  readonly tolerance?: { readonly atol?: number; readonly rtol?: number; readonly reason: string };
  /** Ops without a gradient are checked on their forward values only, against this number reference. */
  readonly reference?: (...xs: number[]) => number;
  /** Ops without a gradient whose output is not elementwise: the expected output, computed independently. */
  readonly expected?: (...xs: Tensor[]) => { readonly shape: Shape; readonly data: readonly number[] };
}

const normal: Sampler = (rng, n) => Array.from({ length: n }, () => rng.normal());
/** In [0.5, 2): for log, sqrt, the base of pow. */
const positive: Sampler = (rng, n) => Array.from({ length: n }, () => 0.5 + 1.5 * rng.uniform());
/** At least 0.2 away from 0, either sign: away from the kinks of relu, abs, sign and the pole of div. */
const awayFromZero: Sampler = (rng, n) => Array.from({ length: n }, () => (rng.uniform() < 0.5 ? -1 : 1) * (0.2 + rng.uniform()));
/**
 * Distinct values across all inputs of a case (input k takes slots ≡ k mod 4 of a 0.1 grid, shuffled),
 * each at least 0.025 from a multiple of 0.1: no ties for max/min/maximum, and clear of clamp's bounds.
 */
const distinct: Sampler = (rng, n, arg) => {
  const slots = rng.shuffle(Array.from({ length: n }, (_, i) => 4 * i + arg));
  return slots.map((s) => (s - 2 * n + 0.25 + 0.5 * rng.uniform()) * 0.1);
};
/** Small integers, so that comparisons see ties. */
const smallInts: Sampler = (rng, n) => Array.from({ length: n }, () => rng.int(3) - 1);
/** Probabilities in [0.05, 0.95] for the prediction, [0, 1] for the target. */
const probabilities: Sampler = (rng, n, arg) => Array.from({ length: n }, () => (arg === 0 ? 0.05 + 0.9 * rng.uniform() : rng.uniform()));
/** Per-argument samplers. */
const perArg = (...samplers: Sampler[]): Sampler => (rng, n, arg) => samplers[arg]!(rng, n, arg);

const UNARY_SHAPES: readonly OpCase[] = [{ shapes: [[]] }, { shapes: [[3]] }, { shapes: [[2, 3]] }, { shapes: [[2, 1, 3]] }];
const BINARY_SHAPES: readonly OpCase[] = [
  { shapes: [[2, 3], [2, 3]] },
  { shapes: [[2, 3], [3]] },
  { shapes: [[2, 1], [1, 3]] },
  { shapes: [[], [2, 3]] },
  { shapes: [[2, 3], []] },
  { shapes: [[], []] },
  { shapes: [[4, 1, 3], [2, 1]] },
];
/** A number on one side, as `x + 2` and `2 − x`. */
const withNumbers = (f: BinaryFn, k: number): OpCase[] => [
  { shapes: [[2, 3]], fn: (a) => f(a!, k), label: `x with ${k}` },
  { shapes: [[2, 3]], fn: (b) => f(k, b!), label: `${k} with x` },
];

const unary = (name: string, f: TensorFn, sample?: Sampler): OpSpec => ({ name, fn: f, cases: UNARY_SHAPES, sample });
const binary = (name: string, f: BinaryFn, sample?: Sampler, k = 1.5): OpSpec => ({
  name, fn: (a, b) => f(a!, b!), cases: [...BINARY_SHAPES, ...withNumbers(f, k)], sample,
});
const comparison = (name: string, f: BinaryFn, reference: (a: number, b: number) => number): OpSpec => ({
  name, fn: (a, b) => f(a!, b!), cases: BINARY_SHAPES, sample: smallInts, reference,
});

/** Reductions over every axis, one axis, a negative axis, and several axes kept. */
const reductionCases = (f: (x: Tensor, axis?: number | number[], keepdims?: boolean) => Tensor): OpCase[] => [
  { shapes: [[]], fn: (x) => f(x!) },
  { shapes: [[2, 3]], fn: (x) => f(x!), label: 'all axes' },
  { shapes: [[2, 3]], fn: (x) => f(x!, 1), label: 'axis 1' },
  { shapes: [[2, 3, 2]], fn: (x) => f(x!, -1), label: 'axis -1' },
  { shapes: [[2, 3, 2]], fn: (x) => f(x!, [0, 2], true), label: 'axes [0, 2] keepdims' },
];

/** A fixed 0/1/2 condition for `where`: any nonzero selects a. */
const condOf = (shape: Shape): Tensor => {
  const n = shape.reduce((p, d) => p * d, 1);
  return tensor(Array.from({ length: n }, (_, i) => [1, 0, 2][i % 3]!), { shape });
};

const labels = [0, 3, 1];

/** Small non-negative integers, as labels for oneHot (classes 4). */
const labelInts: Sampler = (rng, n) => Array.from({ length: n }, () => rng.int(4));
/** A fixed index tensor (for gather and scatterAdd). */
const idx = (data: number[][]): Tensor => tensor(data);
/** argmax/argmin computed by a plain scan over one axis of a [rows, cols] tensor, or all elements. */
const argScan = (isMax: boolean, axis?: number) => (x: Tensor): { shape: Shape; data: number[] } => {
  const d = Array.from(x.data);
  const pick = (vals: number[]): number => vals.reduce((best, v, i) => ((isMax ? v > vals[best]! : v < vals[best]!) ? i : best), 0);
  if (axis === undefined) return { shape: [], data: [pick(d)] };
  const [r, c] = x.shape as [number, number];
  if (axis === 1) return { shape: [r], data: Array.from({ length: r }, (_, i) => pick(d.slice(i * c, i * c + c))) };
  return { shape: [c], data: Array.from({ length: c }, (_, j) => pick(Array.from({ length: r }, (_, i) => d[i * c + j]!))) };
};

/** Ops without a gradient: checked on forward values, against `reference` or `expected`. */
export const isNondifferentiable = (spec: OpSpec): boolean => spec.reference !== undefined || spec.expected !== undefined || spec.cases.some((c) => c.expected !== undefined);

export const OP_SPECS: readonly OpSpec[] = [
  binary('add', add),
  binary('sub', sub),
  binary('mul', mul),
  binary('div', div, perArg(normal, awayFromZero)),
  binary('pow', pow, perArg(positive, normal)),
  binary('maximum', maximum, distinct, 0.33),
  binary('minimum', minimum, distinct, 0.33),
  unary('neg', neg),
  unary('exp', exp),
  unary('log', log, positive),
  unary('log1p', log1p, (rng, n) => Array.from({ length: n }, () => -0.5 + 2 * rng.uniform())),
  unary('sqrt', sqrt, positive),
  unary('abs', abs, awayFromZero),
  unary('square', square),
  unary('sigmoid', sigmoid),
  unary('tanh', tanh),
  unary('relu', relu, awayFromZero),
  unary('softplus', softplus),
  unary('sin', sin),
  unary('cos', cos),
  { name: 'sign', fn: (x) => sign(x!), cases: UNARY_SHAPES, sample: smallInts, reference: (x) => Math.sign(x) + 0 },
  comparison('gt', gt, (a, b) => Number(a > b)),
  comparison('ge', ge, (a, b) => Number(a >= b)),
  comparison('lt', lt, (a, b) => Number(a < b)),
  comparison('le', le, (a, b) => Number(a <= b)),
  comparison('eq', eq, (a, b) => Number(a === b)),
  comparison('ne', ne, (a, b) => Number(a !== b)),
  { name: 'sum', fn: (x) => sum(x!), cases: reductionCases(sum) },
  { name: 'mean', fn: (x) => mean(x!), cases: reductionCases(mean) },
  { name: 'max', fn: (x) => max(x!), cases: reductionCases(max), sample: distinct },
  { name: 'min', fn: (x) => min(x!), cases: reductionCases(min), sample: distinct },
  { name: 'logsumexp', fn: (x) => logsumexp(x!), cases: [...reductionCases(logsumexp), { shapes: [[2, 3]], fn: (x) => logsumexp(x!.add(1000), 1), label: 'shifted by 1000' }] },
  ...(['softmax', 'logSoftmax'] as const).map((name): OpSpec => {
    const f = name === 'softmax' ? softmax : logSoftmax;
    return {
      name,
      fn: (x) => f(x!),
      cases: [
        { shapes: [[4]] },
        { shapes: [[2, 3]], label: 'axis -1' },
        { shapes: [[3, 2]], fn: (x) => f(x!, 0), label: 'axis 0' },
        { shapes: [[2, 3, 2]], fn: (x) => f(x!, 1), label: 'axis 1 of 3' },
        { shapes: [[2, 3]], fn: (x) => f(x!.add(1000)), label: 'logits near 1000' },
      ],
    };
  }),
  {
    name: 'reshape',
    fn: (x) => reshape(x!, [3, 2]),
    cases: [{ shapes: [[2, 3]] }, { shapes: [[6]], fn: (x) => reshape(x!, [2, -1]) }, { shapes: [[1]], fn: (x) => reshape(x!, []) }],
  },
  {
    name: 'broadcastTo',
    fn: (x) => broadcastTo(x!, [2, 3]),
    cases: [{ shapes: [[3]] }, { shapes: [[2, 1]] }, { shapes: [[]] }, { shapes: [[1, 3]], fn: (x) => broadcastTo(x!, [2, 2, 3]) }],
  },
  {
    name: 'transpose',
    fn: (x) => transpose(x!),
    cases: [{ shapes: [[2, 3]] }, { shapes: [[4]] }, { shapes: [[2, 3, 4]], fn: (x) => transpose(x!, [2, 0, 1]) }, { shapes: [[2, 3, 2]], label: 'last two of 3' }],
  },
  {
    name: 'matmul',
    fn: (a, b) => matmul(a!, b!),
    cases: [
      { shapes: [[2, 3], [3, 4]] },
      { shapes: [[3], [3, 4]], label: 'vector·matrix' },
      { shapes: [[2, 3], [3]], label: 'matrix·vector' },
      { shapes: [[3], [3]], label: 'vector·vector' },
      { shapes: [[2, 2, 3], [3, 4]], label: 'batched with a matrix' },
      { shapes: [[2, 2, 3], [4, 3]], fn: (a, b) => matmul(a!, b!, { transposeB: true }), label: 'batched with a transposed matrix' },
      { shapes: [[2, 3, 2], [3, 4]], fn: (a, b) => matmul(a!, b!, { transposeA: true }), label: 'transposed batch with a matrix' },
      { shapes: [[2, 1, 2, 3], [3, 3, 2]], label: 'batch axes broadcast' },
      { shapes: [[3, 2], [3, 4]], fn: (a, b) => matmul(a!, b!, { transposeA: true }), label: 'transposeA' },
      { shapes: [[2, 3], [4, 3]], fn: (a, b) => matmul(a!, b!, { transposeB: true }), label: 'transposeB' },
      { shapes: [[3, 2], [4, 3]], fn: (a, b) => matmul(a!, b!, { transposeA: true, transposeB: true }), label: 'both transposed' },
    ],
  },
  {
    name: 'squeeze',
    fn: (x) => squeeze(x!),
    cases: [{ shapes: [[2, 1, 3]] }, { shapes: [[1, 2, 1]], fn: (x) => squeeze(x!, -1), label: 'axis -1' }, { shapes: [[1]] }],
  },
  {
    name: 'unsqueeze',
    fn: (x) => unsqueeze(x!, 0),
    cases: [{ shapes: [[2, 3]] }, { shapes: [[2, 3]], fn: (x) => unsqueeze(x!, -1), label: 'axis -1' }, { shapes: [[]] }],
  },
  {
    name: 'slice',
    fn: (x) => slice(x!, 0, 1, 3),
    cases: [
      { shapes: [[4, 3]] },
      { shapes: [[2, 4, 2]], fn: (x) => slice(x!, 1, -3, -1), label: 'negative indices' },
      { shapes: [[2, 3]], fn: (x) => x!.slice(-1, 1), label: 'method, to the end' },
      { shapes: [[2, 3]], fn: (x) => slice(x!, 1, -10, 10), label: 'clamped to the whole axis' },
    ],
  },
  {
    name: 'concat',
    fn: (a, b) => concat([a!, b!], 1),
    cases: [
      { shapes: [[2, 3], [2, 2]] },
      { shapes: [[1, 3], [2, 3], [1, 3]], fn: (...xs) => concat(xs, 0), label: 'three along axis 0' },
      { shapes: [[4], [2]], fn: (a, b) => concat([a!, b!, a!], -1), label: 'one input twice' },
    ],
  },
  {
    name: 'stack',
    fn: (a, b) => stack([a!, b!]),
    cases: [
      { shapes: [[2, 3], [2, 3]] },
      { shapes: [[2, 3], [2, 3], [2, 3]], fn: (...xs) => stack(xs, -1), label: 'three along axis -1' },
      { shapes: [[], []], label: 'scalars' },
    ],
  },
  {
    name: 'where',
    fn: (a, b) => where(condOf(a!.shape), a!, b!),
    cases: [
      { shapes: [[2, 3], [2, 3]] },
      { shapes: [[3], [2, 1]], fn: (a, b) => where(condOf([2, 3]), a!, b!), label: 'a [3] and b [2, 1] broadcast to cond [2, 3]' },
      { shapes: [[2, 3]], fn: (a) => where(condOf([3]), a!, 0.5), label: 'cond [3], b a number' },
      { shapes: [[2, 3]], fn: (b) => where(condOf([2, 1]), -1, b!), label: 'cond [2, 1], a a number' },
      { shapes: [[2, 3], [2, 3]], fn: (a, b) => a!.where(condOf([2, 3]), b!), label: 'method' },
      { shapes: [[1, 3], [2, 2, 3]], fn: (a, b) => where(condOf([2, 3]), a!, b!), label: 'cond [2, 3] and a [1, 3] repeat over b [2, 2, 3]' },
    ],
  },
  {
    name: 'clamp',
    fn: (x) => clamp(x!, -0.5, 0.5),
    cases: [
      { shapes: [[4, 3]] },
      { shapes: [[4, 3]], fn: (x) => clamp(x!, 0.3), label: 'min only' },
      { shapes: [[4, 3]], fn: (x) => x!.clamp(undefined, -0.2), label: 'max only' },
    ],
    sample: distinct,
  },
  {
    name: 'binaryCrossEntropy',
    fn: (p, t) => binaryCrossEntropy(p!, t!),
    cases: [
      { shapes: [[4, 1], [4, 1]] },
      { shapes: [[2, 3], [2, 3]], fn: (p, t) => binaryCrossEntropy(p!, t!, { reduction: 'sum' }), label: 'sum' },
      { shapes: [[2, 3], [2, 3]], fn: (p, t) => p!.binaryCrossEntropy(t!, { reduction: 'none' }), label: 'none' },
    ],
    sample: probabilities,
  },
  {
    name: 'binaryCrossEntropyWithLogits',
    fn: (z, t) => binaryCrossEntropyWithLogits(z!, t!),
    cases: [
      { shapes: [[4, 1], [4, 1]] },
      { shapes: [[2, 3], [2, 3]], fn: (z, t) => binaryCrossEntropyWithLogits(z!, t!, { reduction: 'sum' }), label: 'sum' },
      { shapes: [[2, 3], [2, 3]], fn: (z, t) => z!.binaryCrossEntropyWithLogits(t!, { reduction: 'none' }), label: 'none' },
    ],
    sample: perArg(normal, probabilities),
  },
  {
    name: 'mseLoss',
    fn: (y, t) => mseLoss(y!, t!),
    cases: [
      { shapes: [[5, 2], [5, 2]] },
      { shapes: [[3], [3]], fn: (y, t) => mseLoss(y!, t!, { reduction: 'sum' }), label: 'sum' },
      { shapes: [[2, 3], [2, 3]], fn: (y, t) => y!.mseLoss(t!, { reduction: 'none' }), label: 'none' },
    ],
  },
  {
    name: 'crossEntropy',
    fn: (z) => crossEntropy(z!, labels),
    cases: [
      { shapes: [[3, 4]] },
      { shapes: [[3, 4]], fn: (z) => crossEntropy(z!, tensor(labels, { dtype: 'float32' }), { reduction: 'sum' }), label: 'tensor labels, sum' },
      { shapes: [[3, 4]], fn: (z) => z!.crossEntropy(labels, { reduction: 'none' }), label: 'none' },
      { shapes: [[3, 4]], fn: (z) => crossEntropy(z!.add(1000), labels), label: 'logits near 1000' },
    ],
  },
  unary('erf', erf),
  unary('gelu', gelu),
  unary('silu', silu),
  unary('logSigmoid', logSigmoid),
  {
    name: 'leakyRelu',
    fn: (x) => leakyRelu(x!),
    cases: [...UNARY_SHAPES, { shapes: [[2, 3]], fn: (x) => leakyRelu(x!, { negativeSlope: 0.2 }), label: 'negativeSlope 0.2' }],
    sample: awayFromZero,
  },
  {
    name: 'elu',
    fn: (x) => elu(x!),
    cases: [...UNARY_SHAPES, { shapes: [[2, 3]], fn: (x) => elu(x!, { alpha: 0.5 }), label: 'alpha 0.5' }],
    sample: awayFromZero,
  },
  {
    name: 'gather',
    fn: (x) => gather(x!, 1, idx([[0, 3], [1, 1], [2, 0]])),
    cases: [
      { shapes: [[3, 4]], label: 'axis 1, a repeated index' },
      { shapes: [[3, 2]], fn: (x) => gather(x!, 0, idx([[2, 0], [2, 2]])), label: 'axis 0, index smaller than x' },
      { shapes: [[2, 3, 2]], fn: (x) => gather(x!, -1, tensor([[[1], [0], [1]], [[0], [0], [1]]])), label: 'axis -1 of 3' },
    ],
  },
  {
    name: 'scatterAdd',
    fn: (x, src) => scatterAdd(x!, 1, idx([[0, 3], [1, 1], [2, 0]]), src!),
    cases: [
      { shapes: [[3, 4], [3, 2]], label: 'axis 1, a repeated index' },
      { shapes: [[3, 2], [2, 2]], fn: (x, src) => scatterAdd(x!, 0, idx([[2, 0], [2, 2]]), src!), label: 'axis 0' },
    ],
  },
  {
    name: 'indexSelect',
    fn: (x) => indexSelect(x!, 0, [3, 0, 3]),
    cases: [
      { shapes: [[4, 3]], label: 'axis 0, a repeated index' },
      { shapes: [[2, 3, 2]], fn: (x) => indexSelect(x!, -2, tensor([2, 1])), label: 'axis -2, tensor index' },
    ],
  },
  {
    name: 'embedding',
    fn: (w) => embedding(tensor([[0, 4], [4, 2]]), w!),
    cases: [
      { shapes: [[5, 3]], label: 'indices [2, 2], a repeated row' },
      { shapes: [[5, 3]], fn: (w) => embedding([1, 4, 1, 0], w!), label: 'flat array indices' },
    ],
  },
  {
    name: 'oneHot',
    // Labels are rounded, so the finite-difference perturbations of gradgradcheck stay valid labels.
    fn: (l) => oneHot(tensor(Array.from(l!.data, Math.round), { shape: l!.shape }), 4),
    cases: [{ shapes: [[5]] }, { shapes: [[2, 3]] }],
    sample: labelInts,
    expected: (l) => ({ shape: [...l.shape, 4], data: Array.from(l.data).flatMap((k) => [0, 1, 2, 3].map((j) => Number(j === k))) }),
  },
  ...(['argmax', 'argmin'] as const).map((name): OpSpec => {
    const f = name === 'argmax' ? argmax : argmin;
    const isMax = name === 'argmax';
    return {
      name,
      fn: (x) => f(x!, 1),
      cases: [
        { shapes: [[3, 4]], label: 'axis 1', expected: argScan(isMax, 1) },
        { shapes: [[3, 4]], fn: (x) => f(x!, 0), label: 'axis 0', expected: argScan(isMax, 0) },
        { shapes: [[3, 4]], fn: (x) => f(x!), label: 'flat', expected: argScan(isMax) },
      ],
      sample: distinct,
    };
  }),
  {
    name: 'layerNorm',
    fn: (x) => layerNorm(x!, [3]),
    cases: [
      { shapes: [[2, 3]] },
      { shapes: [[2, 3], [3], [3]], fn: (x, w, b) => layerNorm(x!, 3, w!, b!), label: 'weight and bias' },
      { shapes: [[2, 2, 3], [2, 3]], fn: (x, w) => layerNorm(x!, [2, 3], w!, null, { eps: 1e-3 }), label: 'two axes, weight only, eps 1e-3' },
      { shapes: [[3, 2, 4], [4]], fn: (x, b) => layerNorm(x!, 4, null, b!), label: 'bias only, batch of rows' },
    ],
  },
  {
    name: 'dropout',
    fn: (x) => dropout(x!, { p: 0.3, seed: 5 }),
    cases: [{ shapes: [[4, 3]] }, { shapes: [[10]], fn: (x) => dropout(x!, { p: 0.5, seed: 9 }), label: 'p 0.5' }],
  },
  {
    name: 'cumsum',
    fn: (x) => cumsum(x!, 1),
    cases: [{ shapes: [[2, 3]] }, { shapes: [[4]], fn: (x) => cumsum(x!, 0), label: '1-D' }, { shapes: [[2, 3, 2]], fn: (x) => x!.cumsum(-2), label: 'axis -2, method' }],
  },
  {
    name: 'flip',
    fn: (x) => flip(x!, 1),
    cases: [{ shapes: [[2, 3]] }, { shapes: [[2, 3, 2]], fn: (x) => flip(x!, [0, -1]), label: 'axes [0, -1]' }],
  },
  {
    name: 'split',
    fn: (x) => concat(split(x!, 2, 1).map((t, k) => t.mul(k + 1)), 1),
    cases: [{ shapes: [[2, 5]], label: 'size 2 along axis 1, pieces weighted' }, { shapes: [[4, 2]], fn: (x) => split(x!, [1, 3])[1]!.square(), label: 'sections [1, 3], second piece' }],
  },
  {
    name: 'chunk',
    fn: (x) => concat(chunk(x!, 3, -1).map((t, k) => t.mul(k - 1)), -1),
    cases: [{ shapes: [[2, 5]], label: '3 chunks of a length-5 axis, pieces weighted' }, { shapes: [[4]], fn: (x) => chunk(x!, 2)[0]!.exp(), label: 'first of 2' }],
  },
  {
    name: 'pad',
    fn: (x) => pad(x!, [1, 2]),
    cases: [
      { shapes: [[2, 3]], label: 'last axis' },
      { shapes: [[2, 3]], fn: (x) => pad(x!, [0, 1, 2, 0], { value: 0.5 }), label: 'two axes, value 0.5' },
      { shapes: [[1, 2, 2]], fn: (x) => pad(x!, [1, 1, 1, 1]), label: 'spatial, as for a convolution' },
    ],
  },
  {
    name: 'tile',
    fn: (x) => tile(x!, [2]),
    cases: [{ shapes: [[2, 3]], label: 'reps shorter than rank' }, { shapes: [[3]], fn: (x) => tile(x!, [2, 2]), label: 'new leading axis' }],
  },
  {
    name: 'repeat',
    fn: (x) => repeat(x!, [2, 1]),
    cases: [{ shapes: [[2, 3]] }, { shapes: [[3]], fn: (x) => repeat(x!, [2, 1, 2]), label: 'new leading axes' }],
  },
  {
    name: 'unfold',
    fn: (x) => unfold(x!, 2),
    cases: [
      { shapes: [[1, 2, 3, 3]], label: 'kernel 2' },
      { shapes: [[2, 1, 4, 3]], fn: (x) => unfold(x!, [2, 1], { stride: 2, padding: 1, dilation: [1, 2] }), label: 'stride 2, padding 1, dilation [1, 2]' },
    ],
  },
  {
    name: 'fold',
    fn: (c) => fold(c!, [3, 3], 2),
    cases: [
      { shapes: [[1, 8, 4]], label: 'kernel 2 onto 3×3, overlapping' },
      { shapes: [[1, 2, 9]], fn: (c) => fold(c!, [4, 3], [2, 1], { stride: 2, padding: 1, dilation: [1, 2] }), label: 'stride 2, padding 1, dilation [1, 2]' },
    ],
  },
  {
    name: 'conv2d',
    fn: (x, w, b) => conv2d(x!, w!, b!),
    cases: [
      { shapes: [[2, 2, 4, 4], [3, 2, 2, 2], [3]], label: 'bias' },
      { shapes: [[1, 2, 5, 5], [2, 2, 3, 3]], fn: (x, w) => conv2d(x!, w!, null, { stride: 2, padding: 1 }), label: 'stride 2, padding 1, no bias' },
      { shapes: [[1, 1, 5, 5], [2, 1, 2, 2], [2]], fn: (x, w, b) => conv2d(x!, w!, b!, { dilation: 2, padding: [1, 0] }), label: 'dilation 2, padding [1, 0]' },
      { shapes: [[1, 4, 3, 3], [4, 2, 2, 2]], fn: (x, w) => conv2d(x!, w!, undefined, { groups: 2 }), label: 'groups 2' },
      { shapes: [[1, 2, 4, 3], [2, 1, 1, 2], [2]], fn: (x, w, b) => conv2d(x!, w!, b!, { groups: 2, stride: [2, 1] }), label: 'depthwise, stride [2, 1]' },
    ],
  },
  {
    name: 'conv1d',
    fn: (x, w, b) => conv1d(x!, w!, b!),
    cases: [
      { shapes: [[2, 2, 5], [3, 2, 2], [3]], label: 'bias' },
      { shapes: [[1, 2, 7], [2, 1, 3]], fn: (x, w) => conv1d(x!, w!, null, { stride: 2, padding: 1, dilation: 2, groups: 2 }), label: 'stride 2, padding 1, dilation 2, groups 2' },
    ],
  },
  {
    name: 'maxPool2d',
    fn: (x) => maxPool2d(x!, { kernelSize: 2 }),
    cases: [
      { shapes: [[2, 2, 4, 4]], label: 'kernel 2' },
      { shapes: [[1, 1, 5, 5]], fn: (x) => maxPool2d(x!, { kernelSize: 3, stride: 2, padding: 1 }), label: 'kernel 3, stride 2, padding 1 (overlapping)' },
      { shapes: [[1, 2, 5, 4]], fn: (x) => maxPool2d(x!, { kernelSize: [2, 2], stride: 1, dilation: [2, 1] }), label: 'dilation [2, 1], stride 1' },
    ],
    sample: distinct,
  },
  {
    name: 'avgPool2d',
    fn: (x) => avgPool2d(x!, { kernelSize: 2 }),
    cases: [
      { shapes: [[2, 2, 4, 4]], label: 'kernel 2' },
      { shapes: [[1, 1, 5, 5]], fn: (x) => avgPool2d(x!, { kernelSize: 3, stride: 2, padding: 1 }), label: 'kernel 3, stride 2, padding 1' },
      { shapes: [[1, 1, 5, 5]], fn: (x) => avgPool2d(x!, { kernelSize: 3, stride: 2, padding: 1, countIncludePad: false }), label: 'countIncludePad false' },
    ],
  },
  {
    name: 'adaptiveAvgPool2d',
    fn: (x) => adaptiveAvgPool2d(x!, [3, 2]),
    cases: [{ shapes: [[1, 2, 5, 5]], label: '5×5 to 3×2, uneven windows' }, { shapes: [[2, 2, 3, 3]], fn: (x) => adaptiveAvgPool2d(x!, 1), label: 'global' }],
  },
  {
    name: 'batchNorm',
    fn: (x, w, b) => batchNorm(x!, null, null, w!, b!, { training: true }),
    cases: [
      { shapes: [[3, 2, 2, 2], [2], [2]], label: 'training, weight and bias' },
      { shapes: [[4, 3]], fn: (x) => batchNorm(x!, null, null, null, null, { training: true, eps: 1e-3 }), label: 'training [N, C], no affine' },
      { shapes: [[2, 2, 3], [2], [2]], fn: (x, w, b) => batchNorm(x!, tensor([0.2, -0.1]), tensor([1.5, 0.7]), w!, b!), label: 'eval, running statistics' },
    ],
  },
  {
    name: 'scaledDotProductAttention',
    fn: (q, k, v) => scaledDotProductAttention(q!, k!, v!),
    cases: [
      { shapes: [[3, 2], [4, 2], [4, 3]], label: 'plain' },
      { shapes: [[2, 3, 2], [2, 3, 2], [2, 3, 2]], fn: (q, k, v) => scaledDotProductAttention(q!, k!, v!, { causal: true }), label: 'batched, causal' },
      { shapes: [[3, 2], [4, 2], [4, 2]], fn: (q, k, v) => scaledDotProductAttention(q!, k!, v!, { mask: tensor([[1, 0, 1, 1], [1, 1, 0, 0], [0, 1, 1, 1]]), scale: 0.7 }), label: 'mask, scale 0.7' },
    ],
  },
  {
    name: 'convTranspose2d',
    fn: (x, w, b) => convTranspose2d(x!, w!, b!),
    cases: [
      { shapes: [[2, 2, 3, 3], [2, 3, 2, 2], [3]], label: 'bias' },
      { shapes: [[1, 2, 3, 2], [2, 2, 3, 3]], fn: (x, w) => convTranspose2d(x!, w!, null, { stride: 2, padding: 1, outputPadding: 1 }), label: 'stride 2, padding 1, outputPadding 1' },
      { shapes: [[1, 4, 2, 2], [4, 1, 2, 2], [2]], fn: (x, w, b) => convTranspose2d(x!, w!, b!, { groups: 2, dilation: 2 }), label: 'groups 2, dilation 2' },
    ],
  },
  {
    name: 'einsum',
    fn: (a, b) => einsum('ij,jk->ik', a!, b!),
    cases: [
      { shapes: [[2, 3], [3, 2]], label: 'matmul' },
      { shapes: [[2, 2, 3], [2, 3, 2]], fn: (a, b) => einsum('bij,bjk->bki', a!, b!), label: 'batched matmul, output transposed' },
      { shapes: [[3], [2]], fn: (a, b) => einsum('i,j', a!, b!), label: 'outer, implicit output' },
      { shapes: [[3, 3]], fn: (a) => einsum('ii->', a!), label: 'trace' },
      { shapes: [[2, 3, 3]], fn: (a) => einsum('bii->bi', a!), label: 'batched diagonal' },
      { shapes: [[2, 3]], fn: (a) => einsum('ij->ji', a!), label: 'transpose' },
      { shapes: [[2, 3, 2]], fn: (a) => einsum('ijk->j', a!), label: 'sum over i and k' },
      { shapes: [[2, 3], [3, 2], [2, 2]], fn: (a, b, c) => einsum('ij,jk,kl->il', a!, b!, c!), label: 'three operands' },
    ],
  },
];
