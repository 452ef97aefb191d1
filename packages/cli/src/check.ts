import * as core from '@tapegrad/core';
import { gradcheck, Rng, tensor, type Tensor } from '@tapegrad/core';
import { AGREEMENT_TOLERANCE, compareGradients, MLP, type ActivationName, type OutputName } from '@tapegrad/nn';
import type { Io } from './io.ts';

/** One gradient check of an op: a function of tensors and a sampler of the point to check at. */
interface OpCheck {
  readonly op: string;
  readonly label: string;
  readonly fn: (...xs: Tensor[]) => Tensor;
  readonly inputs: (rng: Rng) => Tensor[];
}

type Sampler = (rng: Rng) => number;
const normal: Sampler = (rng) => rng.normal();
const positive: Sampler = (rng) => rng.range(0.5, 2);
/** Away from 0: relu, abs, sign kinks and division by zero. */
const awayFromZero: Sampler = (rng) => (rng.uniform() < 0.5 ? -1 : 1) * rng.range(0.3, 1.5);
const probability: Sampler = (rng) => rng.range(0.1, 0.9);

const sample = (shape: number[], s: Sampler = normal) => (rng: Rng): Tensor => {
  const n = shape.reduce((a, b) => a * b, 1);
  return tensor(Array.from({ length: n }, () => s(rng)), { shape });
};

/** Distinct values (no ties for max/min/maximum/minimum): a shuffled, spread arange plus noise. */
const distinct = (shape: number[]) => (rng: Rng): Tensor => {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = rng.shuffle(Array.from({ length: n }, (_, i) => i * 0.37 - n * 0.15 + rng.range(0, 0.05)));
  return tensor(v, { shape });
};

const unary = (op: string, f: (x: Tensor) => Tensor, s: Sampler = normal): OpCheck[] => [
  { op, label: `${op} [2, 3]`, fn: f, inputs: (rng) => [sample([2, 3], s)(rng)] },
];

const binary = (op: string, f: (a: Tensor, b: Tensor) => Tensor, sa: Sampler = normal, sb: Sampler = normal): OpCheck[] => [
  { op, label: `${op} [2, 3] ∘ [3]`, fn: f, inputs: (rng) => [sample([2, 3], sa)(rng), sample([3], sb)(rng)] },
  { op, label: `${op} [2, 1] ∘ [1, 3]`, fn: f, inputs: (rng) => [sample([2, 1], sa)(rng), sample([1, 3], sb)(rng)] },
  { op, label: `${op} [2, 3] ∘ []`, fn: f, inputs: (rng) => [sample([2, 3], sa)(rng), sample([], sb)(rng)] },
];

const one = (op: string, label: string, fn: (...xs: Tensor[]) => Tensor, ...gens: ((rng: Rng) => Tensor)[]): OpCheck[] => [
  { op, label, fn, inputs: (rng) => gens.map((g) => g(rng)) },
];

/** The table: every registered op with small shapes, domains that avoid kinks, broadcasting for binary ops. */
function opChecks(): OpCheck[] {
  const c = core;
  const labels = [2, 0, 1];
  return [
    ...unary('abs', c.abs, awayFromZero), ...unary('cos', c.cos), ...unary('exp', c.exp), ...unary('log', c.log, positive),
    ...unary('log1p', c.log1p, positive), ...unary('neg', c.neg), ...unary('relu', c.relu, awayFromZero), ...unary('sigmoid', c.sigmoid),
    ...unary('sign', c.sign, awayFromZero), ...unary('sin', c.sin), ...unary('softplus', c.softplus), ...unary('sqrt', c.sqrt, positive),
    ...unary('square', c.square), ...unary('tanh', c.tanh),
    ...binary('add', c.add), ...binary('sub', c.sub), ...binary('mul', c.mul), ...binary('div', c.div, normal, awayFromZero),
    ...binary('pow', c.pow, positive, normal),
    ...one('maximum', 'maximum [2, 3] ∘ [2, 3] (no ties)', (a, b) => c.maximum(a, b.add(0.1)), distinct([2, 3]), distinct([2, 3])),
    ...one('minimum', 'minimum [2, 3] ∘ [2, 3] (no ties)', (a, b) => c.minimum(a, b.add(0.1)), distinct([2, 3]), distinct([2, 3])),
    ...(['eq', 'ne', 'gt', 'ge', 'lt', 'le'] as const).flatMap((op) =>
      one(op, `${op} [2, 3] ∘ [3] (no gradient)`, (a, b) => c[op](a, b), sample([2, 3]), sample([3]))),
    ...one('sum', 'sum [2, 3] axis 1', (x) => c.sum(x, 1), sample([2, 3])),
    ...one('sum', 'sum [2, 3] all', (x) => c.sum(x), sample([2, 3])),
    ...one('mean', 'mean [2, 3] axis 0, keepdims', (x) => c.mean(x, 0, true), sample([2, 3])),
    ...one('max', 'max [2, 3] axis 1 (no ties)', (x) => c.max(x, 1), distinct([2, 3])),
    ...one('min', 'min [2, 3] all (no ties)', (x) => c.min(x), distinct([2, 3])),
    ...one('logsumexp', 'logsumexp [2, 3] axis 1', (x) => c.logsumexp(x, 1), sample([2, 3])),
    ...one('softmax', 'softmax [2, 3] axis −1', (x) => c.softmax(x), sample([2, 3])),
    ...one('logSoftmax', 'logSoftmax [2, 3] axis 0', (x) => c.logSoftmax(x, 0), sample([2, 3])),
    ...one('reshape', 'reshape [2, 3] → [3, 2]', (x) => c.reshape(x, [3, 2]), sample([2, 3])),
    ...one('broadcastTo', 'broadcastTo [3] → [2, 3]', (x) => c.broadcastTo(x, [2, 3]), sample([3])),
    ...one('transpose', 'transpose [2, 3, 4] axes [2, 0, 1]', (x) => c.transpose(x, [2, 0, 1]), sample([2, 3, 4])),
    ...one('squeeze', 'squeeze [2, 1, 3]', (x) => c.squeeze(x), sample([2, 1, 3])),
    ...one('unsqueeze', 'unsqueeze [2, 3] axis 1', (x) => c.unsqueeze(x, 1), sample([2, 3])),
    ...one('slice', 'slice [3, 4] axis 1, 1:3', (x) => c.slice(x, 1, 1, 3), sample([3, 4])),
    ...one('concat', 'concat [2, 3], [2, 2] axis 1', (a, b) => c.concat([a, b], 1), sample([2, 3]), sample([2, 2])),
    ...one('stack', 'stack [2, 3] × 2 axis 0', (a, b) => c.stack([a, b], 0), sample([2, 3]), sample([2, 3])),
    ...one('where', 'where(x > 0, a, b) [2, 3]', (x, a, b) => c.where(c.gt(x.detach(), 0), a, b), sample([2, 3]), sample([2, 3]), sample([3])),
    ...one('clamp', 'clamp [2, 3] to [−0.5, 0.5] (off the bounds)', (x) => c.clamp(x, -0.5, 0.5), sample([2, 3], awayFromZero)),
    ...one('matmul', 'matmul [2, 3]·[3, 4]', (a, b) => c.matmul(a, b), sample([2, 3]), sample([3, 4])),
    ...one('matmul', 'matmul [3, 2]ᵀ·[4, 3]ᵀ (transpose flags)', (a, b) => c.matmul(a, b, { transposeA: true, transposeB: true }), sample([3, 2]), sample([4, 3])),
    ...one('matmul', 'matmul [2, 2, 3]·[3, 2] (batched)', (a, b) => c.matmul(a, b), sample([2, 2, 3]), sample([3, 2])),
    ...one('binaryCrossEntropy', 'binaryCrossEntropy [4] (ŷ in (0, 1))', (p, t) => c.binaryCrossEntropy(p, t), sample([4], probability), sample([4], probability)),
    ...one('binaryCrossEntropyWithLogits', 'binaryCrossEntropyWithLogits [2, 3]', (z, t) => c.binaryCrossEntropyWithLogits(z, t), sample([2, 3]), sample([2, 3], probability)),
    ...one('crossEntropy', 'crossEntropy [3, 4], labels [2, 0, 1]', (z) => c.crossEntropy(z, labels), sample([3, 4])),
    ...one('mseLoss', 'mseLoss [2, 3]', (y, t) => c.mseLoss(y, t), sample([2, 3]), sample([2, 3])),
    ...unary('erf', c.erf), ...unary('gelu', c.gelu), ...unary('silu', c.silu), ...unary('logSigmoid', c.logSigmoid),
    ...unary('leakyRelu', (x) => c.leakyRelu(x, { negativeSlope: 0.1 }), awayFromZero), ...unary('elu', (x) => c.elu(x), awayFromZero),
    ...one('gather', 'gather [3, 4] axis 1, index [3, 2]', (x) => c.gather(x, 1, c.tensor([[0, 3], [1, 1], [2, 0]])), sample([3, 4])),
    ...one('scatterAdd', 'scatterAdd [3, 4] axis 1, src [3, 2]', (x, s) => c.scatterAdd(x, 1, c.tensor([[0, 3], [1, 1], [2, 0]]), s), sample([3, 4]), sample([3, 2])),
    ...one('indexSelect', 'indexSelect [4, 3] axis 0, [3, 0, 3]', (x) => c.indexSelect(x, 0, [3, 0, 3]), sample([4, 3])),
    ...one('embedding', 'embedding [5, 3], indices [2, 2]', (w) => c.embedding(c.tensor([[0, 4], [4, 2]]), w), sample([5, 3])),
    ...one('oneHot', 'oneHot of 3 labels, 4 classes (no gradient)', (x) => c.oneHot(c.argmax(x, 1), 4), distinct([3, 4])),
    ...one('argmax', 'argmax [3, 4] axis 1 (no gradient)', (x) => c.argmax(x, 1), distinct([3, 4])),
    ...one('argmin', 'argmin [3, 4] all (no gradient)', (x) => c.argmin(x), distinct([3, 4])),
    ...one('layerNorm', 'layerNorm [2, 3] over [3], weight, bias', (x, w, b) => c.layerNorm(x, [3], w, b), sample([2, 3]), sample([3]), sample([3])),
    ...one('dropout', 'dropout [4, 3] p 0.3, seed 5', (x) => c.dropout(x, { p: 0.3, seed: 5 }), sample([4, 3])),
    ...one('cumsum', 'cumsum [2, 3] axis 1', (x) => c.cumsum(x, 1), sample([2, 3])),
    ...one('flip', 'flip [2, 3, 2] axes [0, 2]', (x) => c.flip(x, [0, 2]), sample([2, 3, 2])),
    ...one('split', 'split [2, 5] size 2 axis 1, pieces weighted', (x) => c.concat(c.split(x, 2, 1).map((t, k) => t.mul(k + 1)), 1), sample([2, 5])),
    ...one('chunk', 'chunk [6] into 3, pieces weighted', (x) => c.concat(c.chunk(x, 3).map((t, k) => t.mul(k - 1))), sample([6])),
    ...one('pad', 'pad [1, 2, 2] by 1 on both spatial axes', (x) => c.pad(x, [1, 1, 1, 1]), sample([1, 2, 2])),
    ...one('tile', 'tile [2, 3] reps [2]', (x) => c.tile(x, [2]), sample([2, 3])),
    ...one('repeat', 'repeat [3] sizes [2, 1, 2]', (x) => c.repeat(x, [2, 1, 2]), sample([3])),
    ...one('unfold', 'unfold [1, 2, 4, 3] kernel 2, stride 2, padding 1', (x) => c.unfold(x, 2, { stride: 2, padding: 1 }), sample([1, 2, 4, 3])),
    ...one('fold', 'fold [1, 8, 4] onto 3×3, kernel 2', (x) => c.fold(x, [3, 3], 2), sample([1, 8, 4])),
    ...one('conv2d', 'conv2d [2, 2, 4, 4]∗[3, 2, 2, 2] + bias', (x, w, b) => c.conv2d(x, w, b), sample([2, 2, 4, 4]), sample([3, 2, 2, 2]), sample([3])),
    ...one('conv2d', 'conv2d stride 2, padding 1, dilation 2, groups 2', (x, w) => c.conv2d(x, w, null, { stride: 2, padding: 1, dilation: 2, groups: 2 }), sample([1, 4, 5, 5]), sample([2, 2, 2, 2])),
    ...one('conv1d', 'conv1d [2, 2, 5]∗[3, 2, 2] + bias, padding 1', (x, w, b) => c.conv1d(x, w, b, { padding: 1 }), sample([2, 2, 5]), sample([3, 2, 2]), sample([3])),
    ...one('maxPool2d', 'maxPool2d [1, 2, 5, 5] kernel 3, stride 2, padding 1 (no ties)', (x) => c.maxPool2d(x, { kernelSize: 3, stride: 2, padding: 1 }), distinct([1, 2, 5, 5])),
    ...one('avgPool2d', 'avgPool2d [1, 2, 5, 5] kernel 3, stride 2, padding 1', (x) => c.avgPool2d(x, { kernelSize: 3, stride: 2, padding: 1 }), sample([1, 2, 5, 5])),
    ...one('adaptiveAvgPool2d', 'adaptiveAvgPool2d [1, 2, 5, 5] to [3, 2]', (x) => c.adaptiveAvgPool2d(x, [3, 2]), sample([1, 2, 5, 5])),
    ...one('batchNorm', 'batchNorm [3, 2, 2, 2] training, weight, bias', (x, w, b) => c.batchNorm(x, null, null, w, b, { training: true }), sample([3, 2, 2, 2]), sample([2]), sample([2])),
    ...one('convTranspose2d', 'convTranspose2d [1, 2, 3, 2]∗[2, 2, 3, 3] stride 2, padding 1, outputPadding 1', (x, w) => c.convTranspose2d(x, w, null, { stride: 2, padding: 1, outputPadding: 1 }), sample([1, 2, 3, 2]), sample([2, 2, 3, 3])),
    ...one('einsum', "einsum 'bij,bjk->bki' [2, 2, 3], [2, 3, 2]", (a, b) => c.einsum('bij,bjk->bki', a, b), sample([2, 2, 3]), sample([2, 3, 2])),
    ...one('scaledDotProductAttention', 'scaledDotProductAttention [2, 3, 2] causal', (q, k, v) => c.scaledDotProductAttention(q, k, v, { causal: true }), sample([2, 3, 2]), sample([2, 3, 2]), sample([2, 3, 2])),
  ];
}

/** One row of the pass/fail table. */
export interface CheckRow {
  /** `op` for an op's gradient check, `agreement` for a random network. */
  readonly group: 'op' | 'agreement';
  /** What was checked (op and shapes, or network sizes and activations). */
  readonly name: string;
  /** Whether it passed. */
  readonly ok: boolean;
  /** The measured errors, or why it failed. */
  readonly detail: string;
}

function runOpChecks(): CheckRow[] {
  const checks = opChecks();
  const rows: CheckRow[] = checks.map((chk, i) => {
    try {
      const r = gradcheck(chk.fn, chk.inputs(new Rng(100 + i)), { seed: 7 + i, name: chk.op });
      const w = r.worst;
      return { group: 'op', name: chk.label, ok: r.ok, detail: w === undefined ? 'nothing to check' : `worst |Δ| ${w.absError.toExponential(1)} (${r.checked} elements)` };
    } catch (e) {
      return { group: 'op', name: chk.label, ok: false, detail: `threw ${(e as Error).message}` };
    }
  });
  // Completeness: a registered op without a row here fails, so a new op cannot go unchecked.
  const covered = new Set(checks.map((chk) => chk.op));
  for (const op of Object.keys(core.OPS).sort()) {
    if (!covered.has(op)) rows.push({ group: 'op', name: op, ok: false, detail: 'no gradient check in the table (packages/cli/src/check.ts)' });
  }
  return rows;
}

/**
 * The agreement suite on random networks: depth 1–4 × hidden activation × output pair, float64; a row
 * passes when the fast path is within 1e-12 (relative) of autograd and both are within gradcheck
 * tolerance of central finite differences.
 * @param seed Seed of the random widths, weights and data.
 * @returns One row per network.
 */
export function agreementRows(seed = 11): CheckRow[] {
  const rng = new Rng(seed);
  const rows: CheckRow[] = [];
  const outputs: [OutputName, number][] = [['sigmoid', 1], ['softmax', 3], ['identity', 2]];
  for (let depth = 1; depth <= 4; depth++) {
    for (const activation of ['sigmoid', 'tanh', 'relu'] as ActivationName[]) {
      for (const [output, k] of outputs) {
        const sizes = [3 + rng.int(3), ...Array.from({ length: depth - 1 }, () => 2 + rng.int(4)), k];
        const model = new MLP({ sizes, activation, output, seed: rng.nextUint32() });
        const m = 6;
        const X = core.randn([m, sizes[0]!], { seed: rng.nextUint32() });
        const T = output === 'softmax'
          ? tensor(Array.from({ length: m }, () => rng.int(k)))
          : output === 'sigmoid' ? tensor(Array.from({ length: m * k }, () => rng.int(2)), { shape: [m, k] }) : core.randn([m, k], { seed: rng.nextUint32() });
        const r = compareGradients(model, X, T);
        const ok = r.fastVsAutograd <= AGREEMENT_TOLERANCE && r.isWithinTolerance;
        rows.push({
          group: 'agreement',
          name: `${sizes.join('-')} ${activation} → ${output}`,
          ok,
          detail: `fast/autograd ${r.fastVsAutograd.toExponential(1)}, autograd/numeric ${r.autogradVsNumeric.toExponential(1)}, fast/numeric ${r.fastVsNumeric.toExponential(1)}`,
        });
      }
    }
  }
  return rows;
}

/**
 * `tapegrad check`: every op's gradient check against finite differences, then the fast-path / autograd
 * / finite-difference agreement suite on random networks; prints a pass/fail table.
 * @param io Where to write.
 * @returns The exit code: 0 when everything passed, 1 otherwise.
 */
export function runCheck(io: Io): number {
  const start = performance.now();
  const rows = [...runOpChecks(), ...agreementRows()];
  const width = Math.max(...rows.map((r) => r.name.length));
  let group = '';
  for (const r of rows) {
    if (r.group !== group) {
      group = r.group;
      io.out(group === 'op'
        ? '\nGradient checks of every op (central differences, float64, random seeded upstream gradient):\n'
        : `\nFast path vs autograd vs finite differences on random networks (pass: ≤ ${AGREEMENT_TOLERANCE} and within gradcheck tolerance):\n`);
    }
    io.out(`  ${r.ok ? 'pass' : 'FAIL'}  ${r.name.padEnd(width)}  ${r.detail}\n`);
  }
  const failed = rows.filter((r) => !r.ok).length;
  io.out(`\n${rows.length - failed} passed, ${failed} failed (${((performance.now() - start) / 1000).toFixed(1)} s)\n`);
  return failed === 0 ? 0 : 1;
}
