/** Forward values, options and errors of the ops models are built from (gradients: op-specs, fixtures). */
import {
  argmax, argmin, chunk, cumsum, dropout, elu, embedding, erf, flip, gather, gelu, indexSelect, layerNorm, leakyRelu, logSigmoid,
  oneHot, pad, repeat, Rng, scatterAdd, silu, split, tapeLength, tensor, tile, zeros,
} from '@tapegrad/core';
import { describe, expect, test } from 'vitest';

describe('activations', () => {
  test('erf and gelu against known values', () => {
    // erf(0.5), erf(1), erf(3) from tables (Abramowitz & Stegun 7.1), to 15 digits.
    const e = erf(tensor([0.5, 1, 3, -1, 0])).data;
    expect(e[0]).toBeCloseTo(0.520499877813047, 14);
    expect(e[1]).toBeCloseTo(0.842700792949715, 14);
    expect(e[2]).toBeCloseTo(0.999977909503001, 14);
    expect(e[3]).toBeCloseTo(-0.842700792949715, 14);
    expect(e[4]).toBe(0);
    expect(gelu(tensor([1])).data[0]).toBeCloseTo(0.841344746068543, 14);
    expect(gelu(1)).toBeCloseTo(0.841344746068543, 14);
  });

  test('silu, logSigmoid, leakyRelu, elu', () => {
    expect(silu(tensor([2])).data[0]).toBeCloseTo(2 / (1 + Math.exp(-2)), 15);
    expect(logSigmoid(tensor([-1000, 1000, 0])).toArray()).toEqual([-1000, 0, -Math.LN2]);
    expect(leakyRelu(tensor([-2, 0, 3])).toArray()).toEqual([-0.02, 0, 3]);
    expect(tensor([-2]).leakyRelu({ negativeSlope: 0.5 }).toArray()).toEqual([-1]);
    expect(elu(tensor([-1, 2]), { alpha: 2 }).data[0]).toBeCloseTo(2 * (Math.exp(-1) - 1), 15);
    const x = tensor([-1, 0, 1], { requiresGrad: true });
    leakyRelu(x, { negativeSlope: 0.1 }).sum().backward();
    expect(x.grad!.toArray()).toEqual([0.1, 0.1, 1]);
  });

  test('bad options', () => {
    expect(() => leakyRelu(tensor([1]), { negativeSlope: NaN })).toThrowErrorMatchingInlineSnapshot(`[ArgumentError: leakyRelu: negativeSlope must be a finite number, got NaN]`);
    expect(() => elu(tensor([1]), { alpha: Infinity })).toThrowErrorMatchingInlineSnapshot(`[ArgumentError: elu: alpha must be a finite number, got Infinity]`);
  });
});

describe('indexing', () => {
  const x = tensor([[1, 2, 3], [4, 5, 6]]);

  test('gather, scatterAdd, indexSelect', () => {
    expect(gather(x, 1, tensor([[2, 0], [1, 1]])).toArray()).toEqual([[3, 1], [5, 5]]);
    expect(x.gather(0, tensor([[1, 0, 1]])).toArray()).toEqual([[4, 2, 6]]);
    expect(scatterAdd(zeros([2, 3]), 1, tensor([[2, 2]]), tensor([[1, 5]])).toArray()).toEqual([[0, 0, 6], [0, 0, 0]]);
    expect(indexSelect(x, 1, [2, 2, 0]).toArray()).toEqual([[3, 3, 1], [6, 6, 4]]);
    const w = tensor([[1, 2, 3], [4, 5, 6]], { requiresGrad: true });
    indexSelect(w, 0, [1, 1]).sum().backward();
    expect(w.grad!.toArray()).toEqual([[0, 0, 0], [2, 2, 2]]);
  });

  test('embedding looks up rows; repeated rows add their gradients; paddingIdx gets none', () => {
    const w = tensor([[0, 1], [2, 3], [4, 5]], { requiresGrad: true });
    const y = embedding(tensor([[2, 0], [2, 1]]), w);
    expect(y.toArray()).toEqual([[[4, 5], [0, 1]], [[4, 5], [2, 3]]]);
    y.sum().backward();
    expect(w.grad!.toArray()).toEqual([[1, 1], [1, 1], [2, 2]]);
    const v = tensor([[0, 1], [2, 3], [4, 5]], { requiresGrad: true });
    const z = embedding([2, 0, 2], v, { paddingIdx: -1 });
    expect(z.toArray()).toEqual([[4, 5], [0, 1], [4, 5]]);
    z.sum().backward();
    expect(v.grad!.toArray()).toEqual([[1, 1], [0, 0], [0, 0]]);
    // The raw loop (plain backward) and the differentiable rule (createGraph) agree, padding row included.
    for (const createGraph of [false, true]) {
      const u = tensor([[0, 1], [2, 3], [4, 5]], { requiresGrad: true });
      embedding([2, 0, 2, 0], u, { paddingIdx: 2 }).mul(tensor([[1, 2], [3, 4], [5, 6], [7, 8]])).sum().backward(null, { createGraph });
      expect(u.grad!.toArray()).toEqual([[10, 12], [0, 0], [0, 0]]);
    }
  });

  test('oneHot, argmax and argmin record nothing', () => {
    const before = tapeLength();
    const s = tensor([[1, 7, 7], [NaN, 0, 9]], { requiresGrad: true });
    expect(oneHot(tensor([[1], [0]]), 3).toArray()).toEqual([[[0, 1, 0]], [[1, 0, 0]]]);
    expect(argmax(s, 1).toArray()).toEqual([1, 0]);
    expect(s.argmin(-1, { keepdims: true }).toArray()).toEqual([[0], [0]]);
    expect(argmax(tensor([[1, 9], [3, 4]])).item()).toBe(1);
    expect(argmin(tensor([[1, 9], [0, 4]]), undefined, { keepdims: true }).toArray()).toEqual([[2]]);
    expect(argmax(s, 1).requiresGrad).toBe(false);
    expect(tapeLength()).toBe(before);
  });

  test('bad indices name the op, the argument and the range', () => {
    expect(() => gather(x, 1, tensor([[3]]))).toThrowErrorMatchingInlineSnapshot(`[ArgumentError: gather: index must hold integers in [0, 3), got 3 at flat position 0]`);
    expect(() => gather(x, 1, tensor([1]))).toThrowErrorMatchingInlineSnapshot(`[ShapeError: gather: index must have x's rank and no dimension larger than x's except along axis 1, got x [2, 3] and index [1]]`);
    expect(() => scatterAdd(x, 0, tensor([[0]]), tensor([[1, 2]]))).toThrowErrorMatchingInlineSnapshot(`[ShapeError: scatterAdd: src must have the index's shape, got index [1, 1] and src [1, 2]]`);
    expect(() => indexSelect(x, 0, [0.5])).toThrowErrorMatchingInlineSnapshot(`[ArgumentError: indexSelect: index must hold integers in [0, 2), got 0.5 at flat position 0]`);
    expect(() => indexSelect(x, 0, tensor([[0]]))).toThrowErrorMatchingInlineSnapshot(`[ShapeError: indexSelect: index must be 1-D, got index [1, 1]]`);
    expect(() => embedding([0], tensor([1, 2]))).toThrowErrorMatchingInlineSnapshot(`[ShapeError: embedding: weight must be 2-D [num, dim], got weight [2]]`);
    expect(() => embedding([5], x)).toThrowErrorMatchingInlineSnapshot(`[ArgumentError: embedding: indices must hold integers in [0, 2), got 5 at flat position 0]`);
    expect(() => oneHot([3], 3)).toThrowErrorMatchingInlineSnapshot(`[ArgumentError: oneHot: labels must hold integers in [0, 3), got 3 at flat position 0]`);
    expect(() => argmax(zeros([2, 0]), 1)).toThrowErrorMatchingInlineSnapshot(`[ShapeError: argmax: the reduced axis must not be empty, got shape [2, 0] and axis 1]`);
  });
});

describe('layerNorm and dropout', () => {
  test('layerNorm normalizes the trailing axes with the biased variance', () => {
    const y = layerNorm(tensor([[1, 2, 3], [2, 2, 2]]), [3], tensor([1, 2, 1]), tensor([0, 0, 1]), { eps: 0 });
    const s = Math.sqrt(2 / 3);
    expect(y.data[0]).toBeCloseTo(-1 / s, 14);
    expect(y.data[1]).toBe(0);
    expect(y.data[2]).toBeCloseTo(1 / s + 1, 14);
    expect(() => layerNorm(tensor([[1, 2]]), [3])).toThrowErrorMatchingInlineSnapshot(`[ShapeError: layerNorm: normalizedShape must be a non-empty trailing part of x's shape, got x [1, 2] and normalizedShape [3]]`);
    expect(() => layerNorm(tensor([[1, 2]]), 2, tensor([1]))).toThrowErrorMatchingInlineSnapshot(`[ShapeError: layerNorm: weight must have shape normalizedShape [2], got weight [1]]`);
  });

  test('dropout: seeded, scaled by 1/(1 − p), identity when not training', () => {
    const x = tensor(Array.from({ length: 1000 }, () => 1));
    const y = dropout(x, { p: 0.25, seed: 4 });
    const kept = Array.from(y.data).filter((v) => v !== 0);
    expect(kept.every((v) => v === 1 / 0.75)).toBe(true);
    expect(kept.length).toBeGreaterThan(700);
    expect(kept.length).toBeLessThan(800);
    expect(Array.from(dropout(x, { p: 0.25, seed: 4 }).data)).toEqual(Array.from(y.data));
    const rng = new Rng(1);
    expect(Array.from(dropout(x, { seed: rng }).data)).not.toEqual(Array.from(dropout(x, { seed: rng }).data));
    expect(dropout(x, { training: false })).toBe(x);
    expect(Array.from(dropout(x, { p: 1 }).data).every((v) => v === 0)).toBe(true);
    expect(() => dropout(x, { p: 1.5 })).toThrowErrorMatchingInlineSnapshot(`[ArgumentError: dropout: p must be a number in [0, 1], got 1.5]`);
  });
});

describe('shape ops', () => {
  const x = tensor([[1, 2, 3], [4, 5, 6]]);

  test('cumsum, flip, split, chunk', () => {
    expect(cumsum(x, 0).toArray()).toEqual([[1, 2, 3], [5, 7, 9]]);
    expect(x.cumsum(-1).toArray()).toEqual([[1, 3, 6], [4, 9, 15]]);
    expect(flip(x, [0, 1]).toArray()).toEqual([[6, 5, 4], [3, 2, 1]]);
    expect(split(x, [1, 2], 1).map((t) => t.toArray())).toEqual([[[1], [4]], [[2, 3], [5, 6]]]);
    expect(x.split(2, 1).map((t) => t.shape)).toEqual([[2, 2], [2, 1]]);
    expect(chunk(tensor([1, 2, 3, 4, 5, 6]), 4).map((t) => t.toArray())).toEqual([[1, 2], [3, 4], [5, 6]]);
    expect(() => split(x, [1, 1], 1)).toThrowErrorMatchingInlineSnapshot(`[ShapeError: split: sections must add up to the length 3 of axis 1, got [1, 1] (sum 2) for shape [2, 3]]`);
    expect(() => chunk(x, 0)).toThrowErrorMatchingInlineSnapshot(`[ArgumentError: chunk: chunks must be a positive integer, got 0]`);
  });

  test('pad, tile, repeat', () => {
    expect(pad(x, [1, 0], { value: 9 }).toArray()).toEqual([[9, 1, 2, 3], [9, 4, 5, 6]]);
    expect(x.pad([0, 0, 0, 1]).toArray()).toEqual([[1, 2, 3], [4, 5, 6], [0, 0, 0]]);
    expect(tile(tensor([1, 2]), [2]).toArray()).toEqual([1, 2, 1, 2]);
    expect(x.tile([2, 1]).shape).toEqual([4, 3]);
    expect(repeat(tensor([1, 2]), [2, 1]).toArray()).toEqual([[1, 2], [1, 2]]);
    expect(() => pad(x, [1])).toThrowErrorMatchingInlineSnapshot(`[ArgumentError: pad: pads must be an even-length list of at most 2·rank = 4 counts, got [1] for x [2, 3]]`);
    expect(() => repeat(x, [2])).toThrowErrorMatchingInlineSnapshot(`[ArgumentError: repeat: sizes must have at least one entry per axis of x, got [2] for x [2, 3]]`);
  });
});
