/** Convolution, pooling, batchNorm and attention: forward values against plain loops, options, errors. */
import {
  adaptiveAvgPool2d, avgPool2d, batchNorm, conv1d, conv2d, fold, maxPool2d, ones, randn, scaledDotProductAttention, softmax, tensor, unfold, zeros,
  type Tensor,
} from '@tapegrad/core';
import { describe, expect, test } from 'vitest';

/** The convolution sum written out, element by element. */
function naiveConv(x: Tensor, w: Tensor, b: Tensor | null, s: number, p: number, d: number, groups: number): number[] {
  const [n, c, h, wd] = x.shape as number[] as [number, number, number, number];
  const [o, cg, kh, kw] = w.shape as number[] as [number, number, number, number];
  const oh = Math.floor((h + 2 * p - d * (kh - 1) - 1) / s) + 1;
  const ow = Math.floor((wd + 2 * p - d * (kw - 1) - 1) / s) + 1;
  const out: number[] = [];
  for (let i = 0; i < n; i++) for (let oc = 0; oc < o; oc++) for (let y = 0; y < oh; y++) for (let z = 0; z < ow; z++) {
    let acc = b ? b.data[oc]! : 0;
    const g = Math.floor(oc / (o / groups));
    for (let ci = 0; ci < cg; ci++) for (let a = 0; a < kh; a++) for (let e = 0; e < kw; e++) {
      const iy = y * s - p + a * d;
      const ix = z * s - p + e * d;
      if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
      acc += w.data[((oc * cg + ci) * kh + a) * kw + e]! * x.data[((i * c + g * cg + ci) * h + iy) * wd + ix]!;
    }
    out.push(acc);
  }
  return out;
}

const close = (a: ArrayLike<number>, b: readonly number[]): void => {
  expect(a.length).toBe(b.length);
  b.forEach((v, i) => expect(a[i]).toBeCloseTo(v, 12));
};

describe('conv2d and conv1d', () => {
  test.each([
    [1, 0, 1, 1], [2, 1, 1, 1], [1, 2, 2, 1], [2, 1, 1, 2], [1, 1, 2, 4],
  ])('stride %i, padding %i, dilation %i, groups %i: the convolution sum', (s, p, d, groups) => {
    const x = randn([2, 4, 7, 6], { seed: s * 7 + p });
    const w = randn([4, 4 / groups, 3, 2], { seed: d * 5 + groups });
    const b = randn([4], { seed: 3 });
    close(conv2d(x, w, b, { stride: s, padding: p, dilation: d, groups }).data, naiveConv(x, w, b, s, p, d, groups));
  });

  test('large enough for the Wasm GEMM: 8×16×12×12 with 32 3×3 filters', () => {
    const x = randn([8, 16, 12, 12], { seed: 1 });
    const w = randn([32, 16, 3, 3], { seed: 2 });
    const y = conv2d(x, w, null, { padding: 1 });
    expect(y.shape).toEqual([8, 32, 12, 12]);
    close(y.data.subarray(0, 500), naiveConv(x, w, null, 1, 1, 1, 1).slice(0, 500));
  });

  test('conv1d is conv2d on a height-1 plane', () => {
    const y = conv1d(tensor([[[1, 2, 3, 4]]]), tensor([[[1, 0, -1]]]), tensor([10]), { padding: 1 });
    expect(y.toArray()).toEqual([[[8, 8, 8, 13]]]);
  });

  test('unfold and fold are adjoint: ⟨unfold(x), c⟩ = ⟨x, fold(c)⟩', () => {
    const x = randn([1, 2, 5, 4], { seed: 4 });
    const opts = { stride: 2, padding: 1, dilation: [2, 1] as const };
    const u = unfold(x, 2, opts);
    const c = randn(u.shape, { seed: 5 });
    const f = fold(c, [5, 4], 2, opts);
    const dot = (a: Tensor, b: Tensor): number => a.mul(b).sum().item();
    expect(dot(u, c)).toBeCloseTo(dot(x, f), 12);
  });

  test('errors name the op, the argument and the shapes', () => {
    expect(() => conv2d(ones([1, 3, 4, 4]), ones([2, 2, 3, 3]))).toThrowErrorMatchingInlineSnapshot(`[ShapeError: conv2d: weight must have C/groups = 3 input channels, got x [1, 3, 4, 4], weight [2, 2, 3, 3] and groups 1]`);
    expect(() => conv2d(ones([3, 4, 4]), ones([2, 3, 3, 3]))).toThrowErrorMatchingInlineSnapshot(`[ShapeError: conv2d: x must be 4-D [N, C, H, W], got x [3, 4, 4]]`);
    expect(() => conv2d(ones([1, 3, 4, 4]), ones([2, 3, 5, 5]))).toThrowErrorMatchingInlineSnapshot(`[ShapeError: conv2d: the window (kernelSize [5, 5], dilation [1, 1]) does not fit the padded input [4, 4] (spatial size [4, 4], padding [0, 0])]`);
    expect(() => conv2d(ones([1, 4, 4, 4]), ones([3, 2, 1, 1]), null, { groups: 2 })).toThrowErrorMatchingInlineSnapshot(`[ArgumentError: conv2d: groups must be a positive integer dividing the input channels 4 and the output channels 3, got 2]`);
    expect(() => conv2d(ones([1, 1, 4, 4]), ones([1, 1, 1, 1]), null, { stride: 0 })).toThrowErrorMatchingInlineSnapshot(`[ArgumentError: conv2d: stride must be an integer ≥ 1 or a pair of them, got 0]`);
    expect(() => conv2d(ones([1, 1, 4, 4]), ones([2, 1, 1, 1]), ones([3]))).toThrowErrorMatchingInlineSnapshot(`[ShapeError: conv2d: bias must be [2], got bias [3]]`);
    expect(() => conv1d(ones([1, 4]), ones([1, 1, 1]))).toThrowErrorMatchingInlineSnapshot(`[ShapeError: conv1d: x must be 3-D [N, C, L], got x [1, 4]]`);
  });
});

describe('pooling', () => {
  const x = tensor([[[[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12], [13, 14, 15, 16]]]]);

  test('maxPool2d: values, padding never wins, the gradient goes to the argmax', () => {
    expect(maxPool2d(x, { kernelSize: 2 }).toArray()).toEqual([[[[6, 8], [14, 16]]]]);
    expect(maxPool2d(x.neg(), { kernelSize: 3, stride: 2, padding: 1 }).toArray()).toEqual([[[[-1, -2], [-5, -6]]]]);
    const v = tensor([[[[1, 3], [3, 2]]]], { requiresGrad: true });
    maxPool2d(v, { kernelSize: 2 }).sum().backward();
    expect(v.grad!.toArray()).toEqual([[[[0, 1], [0, 0]]]]);
  });

  test('avgPool2d with and without the padding in the count; adaptiveAvgPool2d windows', () => {
    expect(avgPool2d(x, { kernelSize: 2 }).toArray()).toEqual([[[[3.5, 5.5], [11.5, 13.5]]]]);
    expect(avgPool2d(ones([1, 1, 2, 2]), { kernelSize: 2, stride: 1, padding: 1 }).data[0]).toBe(0.25);
    expect(avgPool2d(ones([1, 1, 2, 2]), { kernelSize: 2, stride: 1, padding: 1, countIncludePad: false }).data[0]).toBe(1);
    expect(adaptiveAvgPool2d(x, 1).toArray()).toEqual([[[[8.5]]]]);
    // 4 → 3 windows: rows [0, 2), [1, 3), [2, 4).
    expect(adaptiveAvgPool2d(x, [3, 4]).toArray()).toEqual([[[[3, 4, 5, 6], [7, 8, 9, 10], [11, 12, 13, 14]]]]);
    expect(() => maxPool2d(x, { kernelSize: 2, padding: 2 })).toThrowErrorMatchingInlineSnapshot(`[ArgumentError: maxPool2d: padding must be at most half the kernel size [2, 2], got [2, 2]]`);
  });
});

describe('batchNorm', () => {
  test('training normalizes per channel and updates the running statistics as PyTorch (unbiased variance)', () => {
    const x = tensor([[[1, 3]], [[5, 7]]]); // [2, 1, 2]: channel 0 holds 1, 3, 5, 7
    const rm = zeros([1]);
    const rv = ones([1]);
    const y = batchNorm(x, rm, rv, null, null, { training: true, eps: 0, momentum: 0.5 });
    const sd = Math.sqrt(5);
    close(y.data, [-3 / sd, -1 / sd, 1 / sd, 3 / sd]);
    expect(rm.toArray()).toEqual([2]);
    expect(rv.data[0]).toBeCloseTo(0.5 + 0.5 * (20 / 3), 14);
  });

  test('eval uses the running statistics', () => {
    const y = batchNorm(tensor([[2, 4]]), tensor([1, 2]), tensor([4, 1]), tensor([2, 1]), tensor([0, 1]), { eps: 0 });
    expect(y.toArray()).toEqual([[1, 3]]);
    expect(() => batchNorm(tensor([[2, 4]]), null, null)).toThrowErrorMatchingInlineSnapshot(`[ArgumentError: batchNorm: eval (training false) needs runningMean and runningVar, got null]`);
    expect(() => batchNorm(tensor([[2, 4]]), zeros([3]), ones([2]))).toThrowErrorMatchingInlineSnapshot(`[ShapeError: batchNorm: runningMean must be [2] (one per channel of x [1, 2]), got runningMean [3]]`);
  });
});

describe('scaledDotProductAttention', () => {
  test('softmax(q·kᵀ/√d)·v, with masks', () => {
    const q = randn([3, 4], { seed: 1 });
    const k = randn([5, 4], { seed: 2 });
    const v = randn([5, 2], { seed: 3 });
    const ref = softmax(q.matmul(k, { transposeB: true }).div(2)).matmul(v);
    close(scaledDotProductAttention(q, k, v).data, Array.from(ref.data));
    // Causal: the first query sees only the first key.
    const y = scaledDotProductAttention(q, k, v, { causal: true });
    close(y.data.subarray(0, 2), Array.from(v.data.subarray(0, 2)));
    // A mask with a single allowed key per query copies that key's value.
    const only = tensor([[0, 0, 1, 0, 0], [1, 0, 0, 0, 0], [0, 0, 0, 0, 1]]);
    close(scaledDotProductAttention(q, k, v, { mask: only }).data, [...v.data.subarray(4, 6), ...v.data.subarray(0, 2), ...v.data.subarray(8, 10)]);
    expect(() => scaledDotProductAttention(q, k, randn([4, 2]))).toThrowErrorMatchingInlineSnapshot(`[ShapeError: scaledDotProductAttention: k must be […, Lk, 4] and v […, Lk, dv] with the same Lk, got q [3, 4], k [5, 4] and v [4, 2]]`);
    expect(() => scaledDotProductAttention(q, k, v, { mask: ones([2, 5]) })).toThrowErrorMatchingInlineSnapshot(`[ShapeError: scaledDotProductAttention: mask must broadcast to […, 3, 5], got mask [2, 5]]`);
  });
});
