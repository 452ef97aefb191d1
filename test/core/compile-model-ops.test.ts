// compile replays the ops models are built from (convolutions, pooling, normalization, lookups,
// dropout): each replay equals eager bit for bit, on new inputs, with the tensors the backward reads
// (argmax, masks, spread indices, running statistics) made again on every call.
import {
  adaptiveAvgPool2d,
  avgPool2d,
  batchNorm,
  compile,
  CompileError,
  conv1d,
  conv2d,
  convTranspose2d,
  crossEntropy,
  cumsum,
  customOp,
  dropout,
  elu,
  embedding,
  flip,
  fold,
  gather,
  indexSelect,
  layerNorm,
  leakyRelu,
  maxPool2d,
  noGrad,
  ones,
  pad,
  randn,
  repeat,
  Rng,
  scatterAdd,
  subInPlace,
  tensor,
  unfold,
  zeros,
  type Tensor,
} from '@tapegrad/core';
import { describe, expect, test } from 'vitest';

const bits = (t: Tensor): number[] => Array.from(t.data);
/**
 * A gradient's numbers, with −0 read as 0. A trace records each op's differentiable rule (what
 * `backward(undefined, { createGraph: true })` runs), and on dropout's dropped elements that rule gives −0
 * where eager's raw kernels give +0 (checked: eager with createGraph gives the −0 too). Every other bit is compared.
 */
const gradBits = (t: Tensor): number[] => Array.from(t.data, (v) => (v === 0 ? 0 : v));

type Program = (x: Tensor, ps: readonly Tensor[]) => Tensor;

/** [name, x's shape, parameter shapes, program]: each program ends in a tensor reduced to a loss. */
const CASES: readonly (readonly [string, readonly number[], readonly (readonly number[])[], Program])[] = [
  ['conv2d (bias, padding, stride)', [2, 3, 7, 7], [[4, 3, 3, 3], [4]], (x, [w, b]) => conv2d(x, w!, b, { padding: 1, stride: 2 })],
  ['conv2d (groups, dilation)', [2, 4, 7, 7], [[6, 2, 2, 2]], (x, [w]) => conv2d(x, w!, null, { groups: 2, dilation: 2 })],
  ['conv1d', [2, 3, 9], [[4, 3, 3], [4]], (x, [w, b]) => conv1d(x, w!, b)],
  ['convTranspose2d (fold)', [2, 3, 4, 4], [[3, 2, 3, 3], [2]], (x, [w, b]) => convTranspose2d(x, w!, b, { stride: 2 })],
  ['maxPool2d (argmax made again)', [2, 3, 6, 6], [[1]], (x, [w]) => maxPool2d(x.mul(w!), { kernelSize: 3, stride: 2, padding: 1 })],
  ['avgPool2d (unfold)', [2, 3, 6, 6], [[1]], (x, [w]) => avgPool2d(x.mul(w!), { kernelSize: 2 })],
  ['adaptiveAvgPool2d', [2, 3, 6, 6], [[1]], (x, [w]) => adaptiveAvgPool2d(x.mul(w!), 3)],
  ['unfold and fold', [1, 2, 5, 5], [[1]], (x, [w]) => fold(unfold(x.mul(w!), 3, { padding: 1 }), [5, 5], 3, { padding: 1 })],
  ['layerNorm (weight, bias)', [4, 3, 6], [[3, 6], [3, 6]], (x, [w, b]) => layerNorm(x, [3, 6], w, b, { eps: 1e-3 })],
  ['layerNorm (no affine)', [5, 6], [[6]], (x, [w]) => layerNorm(x.mul(w!), 6)],
  ['elu', [3, 5], [[3, 5]], (x, [w]) => elu(x.mul(w!), { alpha: 0.7 })],
  ['leakyRelu', [3, 5], [[3, 5]], (x, [w]) => leakyRelu(x.mul(w!), { negativeSlope: 0.2 })],
  ['pad (fill value)', [2, 3], [[2, 3]], (x, [w]) => pad(x.mul(w!), [1, 2, 0, 1], { value: 0.5 })],
  ['repeat', [2, 3], [[2, 3]], (x, [w]) => repeat(x.mul(w!), [2, 1, 3])],
  ['flip', [2, 3, 4], [[2, 3, 4]], (x, [w]) => flip(x.mul(w!), [0, 2])],
  ['cumsum', [3, 4], [[3, 4]], (x, [w]) => cumsum(x.mul(w!), 1)],
  ['dropout (fixed seed: the same mask each call, as eager)', [4, 5], [[4, 5]], (x, [w]) => dropout(x.mul(w!), { p: 0.3, seed: 4 })],
];

describe('compile: model ops replay as eager computes them', () => {
  test.each(CASES)('%s', (_name, xShape, shapes, program) => {
    const make = (): Tensor[] => shapes.map((s, i) => randn(s, { seed: 100 + i, requiresGrad: true }));
    const pc = make();
    const pe = make();
    const step = (ps: readonly Tensor[]) => (x: Tensor): number => {
      for (const p of ps) p.grad = null;
      const loss = program(x, ps).square().sum();
      loss.backward();
      return loss.item();
    };
    const compiled = compile(step(pc));
    const eager = step(pe);
    for (let call = 0; call < 3; call++) {
      const x = randn(xShape, { seed: 7 + call });
      expect(compiled(x)).toBe(eager(x));
      pc.forEach((p, i) => expect(gradBits(p.grad!)).toEqual(gradBits(pe[i]!.grad!)));
    }
    expect(compiled.stats()).toMatchObject({ traces: 1, replays: 2 });
  });
});

describe('compile: tensors the backward reads are made again on every replay', () => {
  test('embedding, indexSelect, gather and scatterAdd read their index tensors afresh (indices are arguments)', () => {
    const make = () => ({ table: randn([10, 4], { seed: 1, requiresGrad: true }), w: randn([4, 5], { seed: 2, requiresGrad: true }) });
    const step = ({ table, w }: ReturnType<typeof make>) => (ids: Tensor, cols: Tensor, rows: Tensor): number => {
      table.grad = null;
      w.grad = null;
      const e = embedding(ids, table, { paddingIdx: 0 }); // [6, 4]
      const s = indexSelect(e.matmul(w), 1, cols); // [6, 3]
      const g = gather(s, 0, rows); // [2, 3]
      const loss = scatterAdd(zeros([6, 3]), 0, rows, g.square()).sum();
      loss.backward();
      return loss.item();
    };
    const pc = make();
    const pe = make();
    const compiled = compile(step(pc));
    const eager = step(pe);
    const calls = [
      [[1, 2, 3, 0, 9, 2], [0, 4, 4], [[0, 1, 2], [5, 3, 1]]],
      [[7, 7, 0, 1, 5, 6], [3, 1, 0], [[4, 4, 0], [2, 3, 1]]],
      [[0, 0, 8, 8, 4, 3], [2, 2, 2], [[1, 0, 5], [5, 4, 3]]],
    ] as const;
    for (const [ids, cols, rows] of calls) {
      const args = [tensor(ids as unknown as number[]), tensor(cols as unknown as number[]), tensor(rows as unknown as number[][])] as const;
      expect(compiled(...args)).toBe(eager(...args));
      expect(bits(pc.table.grad!)).toEqual(bits(pe.table.grad!));
      expect(bits(pc.w.grad!)).toEqual(bits(pe.w.grad!));
    }
    // The padding row (index 0) gets no gradient, on replays too.
    expect(bits(pc.table.grad!).slice(0, 4)).toEqual([0, 0, 0, 0]);
    expect(compiled.stats().replays).toBe(2);
  });

  test('dropout with a generator draws a new mask per replay, the same masks eager draws', () => {
    const w = randn([8, 8], { seed: 3, requiresGrad: true });
    const we = randn([8, 8], { seed: 3, requiresGrad: true });
    const rc = new Rng(11);
    const re = new Rng(11);
    const step = (p: Tensor, rng: Rng) => (x: Tensor): Tensor => {
      p.grad = null;
      const y = dropout(x.matmul(p), { p: 0.5, seed: rng });
      y.square().sum().backward();
      return y;
    };
    const compiled = compile(step(w, rc));
    const eager = step(we, re);
    const x = randn([4, 8], { seed: 4 });
    const masks: string[] = [];
    for (let call = 0; call < 4; call++) {
      const yc = compiled(x);
      const ye = eager(x);
      expect(bits(yc)).toEqual(bits(ye));
      expect(bits(w.grad!)).toEqual(bits(we.grad!));
      masks.push(bits(yc).map((v) => (v === 0 ? 0 : 1)).join(''));
    }
    expect(new Set(masks).size).toBe(4);
    expect(compiled.stats().replays).toBe(3);
  });

  test('batchNorm while training updates the running statistics on every replay, as eager does', () => {
    const make = () => ({
      w: randn([3], { seed: 5, requiresGrad: true }),
      b: randn([3], { seed: 6, requiresGrad: true }),
      mean: zeros([3]),
      variance: ones([3]),
    });
    const step = (m: ReturnType<typeof make>) => (x: Tensor): number => {
      m.w.grad = null;
      m.b.grad = null;
      const loss = batchNorm(x, m.mean, m.variance, m.w, m.b, { training: true, momentum: 0.2 }).square().mean();
      loss.backward();
      return loss.item();
    };
    const mc = make();
    const me = make();
    const compiled = compile(step(mc));
    const eager = step(me);
    for (let call = 0; call < 4; call++) {
      const x = randn([5, 3, 2, 2], { seed: 20 + call }).mul(call + 1);
      expect(compiled(x)).toBe(eager(x));
      expect(bits(mc.w.grad!)).toEqual(bits(me.w.grad!));
      expect(bits(mc.mean)).toEqual(bits(me.mean));
      expect(bits(mc.variance)).toEqual(bits(me.variance));
    }
    expect(bits(mc.mean)).not.toEqual([0, 0, 0]);
    // Each replay's update bumps the statistics' versions, as the eager update does.
    const version = mc.mean.version;
    compiled(randn([5, 3, 2, 2], { seed: 30 }));
    expect(mc.mean.version).toBeGreaterThan(version);
    expect(compiled.stats().replays).toBe(4);
  });
});

describe('compile: a convolutional training step', () => {
  test('conv → relu → maxPool → linear → crossEntropy with SGD inside: five steps bit for bit', () => {
    const make = () => [
      randn([4, 1, 3, 3], { seed: 30, requiresGrad: true }),
      randn([4], { seed: 31, requiresGrad: true }),
      randn([36, 3], { seed: 32, requiresGrad: true }),
      randn([3], { seed: 33, requiresGrad: true }),
    ];
    const step = (ps: Tensor[]) => (x: Tensor, labels: Tensor): number => {
      const [k, kb, w, b] = ps as [Tensor, Tensor, Tensor, Tensor];
      for (const p of ps) p.grad = null;
      const h = maxPool2d(conv2d(x, k, kb, { padding: 1 }).relu(), { kernelSize: 2 }); // [n, 4, 3, 3]
      const loss = crossEntropy(h.reshape([x.shape[0]!, 36]).matmul(w).add(b), labels);
      loss.backward();
      noGrad(() => {
        for (const p of ps) subInPlace(p, p.grad!.mul(0.1));
      });
      return loss.item();
    };
    const pc = make();
    const pe = make();
    const compiled = compile(step(pc));
    const eager = step(pe);
    const losses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const x = randn([6, 1, 6, 6], { seed: 40 + i });
      const labels = tensor([0, 1, 2, 2, 1, 0].map((v) => (v + i) % 3));
      const l = compiled(x, labels);
      expect(l).toBe(eager(x, labels));
      losses.push(l);
      pc.forEach((p, j) => expect(bits(p)).toEqual(bits(pe[j]!)));
    }
    expect(compiled.stats()).toMatchObject({ traces: 1, replays: 4 });
    expect(new Set(losses).size).toBe(5);
  });
});

describe('compile: what it still refuses', () => {
  test('a custom op (its backward may read raw arrays, which a trace cannot see) is refused, naming the op', () => {
    const twice = customOp({ name: 'twice', forward: (x) => x.mul(2), backward: ({ dy }) => dy.mul(2) });
    const w = randn([3], { seed: 1, requiresGrad: true });
    const f = compile((x: Tensor) => {
      const loss = twice(x.mul(w)).sum();
      loss.backward();
      return loss;
    });
    expect(() => f(randn([3], { seed: 2 }))).toThrow(CompileError);
    expect(() => f(randn([3], { seed: 2 }))).toThrow(/op 'twice' .* cannot be replayed/);
    // static: false runs it eagerly.
    const g = compile((x: Tensor) => twice(x).sum(), { static: false });
    expect(g(tensor([1, 2])).item()).toBe(6);
  });
});
