import { randn, tensor } from '@tapegrad/core';
import {
  BatchNorm1d, BatchNorm2d, Conv2d, Dropout, Embedding, Flatten, LayerNorm, Linear, MaxPool2d, MultiheadAttention, ReLU, Sequential,
  TransformerBlock,
} from '@tapegrad/nn';
import { describe, expect, test } from 'vitest';

describe('Conv2d and pooling', () => {
  test('shapes, PyTorch-style initialisation bounds, and errors', () => {
    const conv = new Conv2d(4, 6, [3, 2], { stride: 2, padding: 1, groups: 2, seed: 3 });
    expect(conv.weight.shape).toEqual([6, 2, 3, 2]);
    const bound = 1 / Math.sqrt(2 * 3 * 2);
    expect(Math.max(...conv.weight.data.map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...conv.weight.data.map(Math.abs))).toBeGreaterThan(bound * 0.8);
    expect(conv.forward(randn([2, 4, 7, 6])).shape).toEqual([2, 6, 4, 4]);
    expect(() => new Conv2d(3, 4, 3, { groups: 2 })).toThrowErrorMatchingInlineSnapshot(`[ShapeError: Conv2d: inChannels and outChannels must divide by groups 2, got 3 and 4]`);
    expect(() => conv.forward(randn([2, 3, 7, 6]))).toThrowErrorMatchingInlineSnapshot(`[ShapeError: Conv2d: x must be [n, 4, h, w], got [2, 3, 7, 6]]`);
  });

  test('a small CNN trains end to end (loss falls on a fixed batch)', () => {
    const net = new Sequential(new Conv2d(1, 4, 3, { padding: 1, seed: 1 }), ReLU(), new MaxPool2d(2), new Flatten(), new Linear(16, 3, { seed: 2 }));
    const x = randn([6, 1, 4, 4], { seed: 5 });
    const y = tensor([0, 1, 2, 0, 1, 2]);
    const loss = (): number => net.forward(x).crossEntropy(y).item();
    const before = loss();
    for (let i = 0; i < 30; i++) {
      net.zeroGrad();
      net.forward(x).crossEntropy(y).backward();
      for (const p of net.parameters()) p.data.forEach((v, j, d) => (d[j] = v - 0.2 * p.grad!.data[j]!));
    }
    expect(loss()).toBeLessThan(before / 2);
  });
});

describe('normalisation layers', () => {
  test('LayerNorm normalizes the trailing shape and learns γ, β', () => {
    const ln = new LayerNorm([2, 3]);
    const y = ln.forward(randn([4, 2, 3], { seed: 1 }));
    const row = Array.from(y.data.subarray(0, 6));
    expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(0, 12);
    expect(row.reduce((a, b) => a + b * b, 0) / 6).toBeCloseTo(1, 4);
    expect(ln.namedParameters().map(([n, p]) => [n, p.shape])).toEqual([['weight', [2, 3]], ['bias', [2, 3]]]);
  });

  test('BatchNorm2d: batch statistics and running-stat updates in training, running statistics in eval, all in the state dict', () => {
    const bn = new BatchNorm2d(2, { momentum: 0.5 });
    const x = tensor([[[[1, 3]], [[10, 10]]], [[[5, 7]], [[20, 40]]]]); // [2, 2, 1, 2]
    const y = bn.forward(x);
    expect(Array.from(y.data.filter((_, i) => Math.floor(i / 2) % 2 === 0)).reduce((a, b) => a + b, 0)).toBeCloseTo(0, 12);
    // channel 0: mean 4, unbiased variance 20/3 → running 0.5·0 + 0.5·4 = 2 and 0.5·1 + 0.5·20/3
    expect(bn.runningMean.data[0]).toBeCloseTo(2, 12);
    expect(bn.runningVar.data[0]).toBeCloseTo(0.5 + (0.5 * 20) / 3, 12);
    expect(bn.numBatchesTracked.data[0]).toBe(1);
    bn.eval();
    const z = bn.forward(x);
    expect(z.data[0]).toBeCloseTo((1 - 2) / Math.sqrt(0.5 + 10 / 3 + 1e-5), 12);
    expect(bn.numBatchesTracked.data[0]).toBe(1);
    expect(Object.keys(bn.stateDict())).toEqual(['weight', 'bias', 'runningMean', 'runningVar', 'numBatchesTracked']);
    const copy = new BatchNorm2d(2);
    copy.loadStateDict(JSON.parse(JSON.stringify(bn.stateDict())));
    expect(Array.from(copy.eval().forward(x).data)).toEqual(Array.from(z.data));
    expect(() => bn.forward(randn([2, 3, 1, 1]))).toThrowErrorMatchingInlineSnapshot(`[ShapeError: BatchNorm2d: x must be [n, 2, h, w], got [2, 3, 1, 1]]`);
    expect(() => new BatchNorm1d(2).forward(randn([2, 2, 1, 1]))).toThrowErrorMatchingInlineSnapshot(`[ShapeError: BatchNorm1d: x must be [n, 2] or [n, 2, l], got [2, 2, 1, 1]]`);
  });
});

describe('Embedding, Dropout, attention', () => {
  test('Embedding looks rows up and accumulates their gradient', () => {
    const emb = new Embedding(5, 3, { seed: 1 });
    const y = emb.forward(tensor([[1, 1, 4]]));
    expect(y.shape).toEqual([1, 3, 3]);
    expect(Array.from(y.data.subarray(0, 3))).toEqual(Array.from(emb.weight.data.subarray(3, 6)));
    y.sum().backward();
    expect(Array.from(emb.weight.grad!.data)).toEqual([0, 0, 0, 2, 2, 2, 0, 0, 0, 0, 0, 0, 1, 1, 1]);
  });

  test('Dropout drops in training mode only, with a new mask per call', () => {
    const drop = new Dropout(0.5, { seed: 3 });
    const x = randn([200], { seed: 1 });
    const a = drop.forward(x);
    const b = drop.forward(x);
    const zeros = Array.from(a.data).filter((v) => v === 0).length;
    expect(zeros).toBeGreaterThan(60);
    expect(zeros).toBeLessThan(140);
    expect(Array.from(a.data)).not.toEqual(Array.from(b.data));
    expect(drop.eval().forward(x)).toBe(x);
    expect(() => new Dropout(1.5)).toThrowErrorMatchingInlineSnapshot(`[ArgumentError: Dropout: p must be a number in [0, 1], got 1.5]`);
  });

  test('causal MultiheadAttention: an output position does not depend on later inputs', () => {
    const mha = new MultiheadAttention(8, 2, { seed: 1, causal: true });
    const x = randn([1, 4, 8], { seed: 2 });
    const y1 = mha.forward(x);
    const x2 = x.detach();
    x2.data[3 * 8] += 1; // change the last position only
    const y2 = mha.forward(x2);
    expect(Array.from(y2.data.subarray(0, 24))).toEqual(Array.from(y1.data.subarray(0, 24)));
    expect(y2.data[24]).not.toBe(y1.data[24]);
    expect(mha.namedParameters().map(([n]) => n)).toEqual(['inProjWeight', 'inProjBias', 'outProj.weight', 'outProj.bias']);
    expect(() => new MultiheadAttention(8, 3)).toThrowErrorMatchingInlineSnapshot(`[ArgumentError: MultiheadAttention: numHeads must divide embedDim 8, got 3]`);
    expect(() => mha.forward(randn([1, 4, 6]))).toThrowErrorMatchingInlineSnapshot(`[ShapeError: MultiheadAttention: query must be [b, t, 8] with the query's batch, got [1, 4, 6]]`);
  });

  test('TransformerBlock keeps the shape and every parameter gets a gradient', () => {
    const block = new TransformerBlock(8, 2, { seed: 1, dropout: 0.1 });
    const y = block.forward(randn([2, 3, 8], { seed: 2 }));
    expect(y.shape).toEqual([2, 3, 8]);
    y.sum().backward();
    expect(block.parameters().every((p) => p.grad !== null)).toBe(true);
    expect(block.namedParameters().map(([n]) => n).slice(0, 4)).toEqual(['ln1.weight', 'ln1.bias', 'attn.inProjWeight', 'attn.inProjBias']);
  });
});
