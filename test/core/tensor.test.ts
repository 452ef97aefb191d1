import { arange, eye, full, linspace, ones, rand, randn, Rng, tensor, zeros } from '@tapegrad/core';
import { describe, expect, test } from 'vitest';

describe('toString prints like NumPy/PyTorch, with shape and dtype', () => {
  test('scalars, vectors, matrices and 3-D', () => {
    expect(tensor(3).toString()).toMatchInlineSnapshot(`"tensor(3., shape=[], dtype=float64)"`);
    expect(tensor([1, 2.5, -3]).toString()).toMatchInlineSnapshot(`"tensor([ 1.0000,  2.5000, -3.0000], shape=[3], dtype=float64)"`);
    expect(tensor([[1, 2], [3, 4]], { dtype: 'float32' }).toString()).toMatchInlineSnapshot(`
      "tensor([[1., 2.],
              [3., 4.]], shape=[2, 2], dtype=float32)"
    `);
    expect(arange(8).reshape([2, 2, 2]).toString()).toMatchInlineSnapshot(`
      "tensor([[[0., 1.],
               [2., 3.]],

              [[4., 5.],
               [6., 7.]]], shape=[2, 2, 2], dtype=float64)"
    `);
    expect(tensor([1e-7, 123456789, 0.5]).toString()).toMatchInlineSnapshot(`"tensor([1.0000e-07, 1.2346e+08, 5.0000e-01], shape=[3], dtype=float64)"`);
    expect(tensor([0.001, 2]).toString()).toMatchInlineSnapshot(`"tensor([1.0000e-03, 2.0000e+00], shape=[2], dtype=float64)"`);
    expect(tensor([NaN, -Infinity, 1.5]).toString()).toMatchInlineSnapshot(`"tensor([   nan,   -inf, 1.5000], shape=[3], dtype=float64)"`);
  });

  test('long axes are summarized, and grad tracking is shown', () => {
    expect(arange(10).toString()).toMatchInlineSnapshot(`"tensor([0., 1., 2., ..., 7., 8., 9.], shape=[10], dtype=float64)"`);
    const w = tensor([1, 2], { requiresGrad: true });
    expect(w.toString()).toMatchInlineSnapshot(`"tensor([1., 2.], shape=[2], dtype=float64, requiresGrad=true)"`);
    expect(w.mul(2).toString()).toMatchInlineSnapshot(`"tensor([2., 4.], shape=[2], dtype=float64, grad_fn=mul)"`);
    expect(`${w.softmax()}`).toContain('grad_fn=softmax');
  });
});

describe('factories', () => {
  test('tensor from nested, flat and typed arrays', () => {
    const nested = tensor([[1, 2, 3], [4, 5, 6]]);
    expect(nested.shape).toEqual([2, 3]);
    expect(nested.dtype).toBe('float64');
    expect(nested.data).toBeInstanceOf(Float64Array);
    const flat = tensor([1, 2, 3, 4, 5, 6], { shape: [2, 3] });
    expect(flat.toArray()).toEqual(nested.toArray());
    const typed = tensor(new Float32Array([1, 2, 3, 4, 5, 6]), { shape: [3, 2], dtype: 'float32' });
    expect(typed.dtype).toBe('float32');
    expect(typed.toArray()).toEqual([[1, 2], [3, 4], [5, 6]]);
    const source = new Float64Array([1, 2]);
    const copy = tensor(source);
    source[0] = 9;
    expect(copy.data[0]).toBe(1);
    expect(tensor(5).shape).toEqual([]);
    expect(tensor(5).item()).toBe(5);
    expect(tensor([]).shape).toEqual([0]);
    expect(tensor([[1, 2]], { requiresGrad: true }).requiresGrad).toBe(true);
  });

  test('zeros, ones, full, eye, arange, linspace', () => {
    expect(zeros([2, 2]).toArray()).toEqual([[0, 0], [0, 0]]);
    expect(ones([3], { dtype: 'float32' }).data).toEqual(new Float32Array([1, 1, 1]));
    expect(full([2], 7).toArray()).toEqual([7, 7]);
    expect(eye(3).toArray()).toEqual([[1, 0, 0], [0, 1, 0], [0, 0, 1]]);
    expect(arange(0, 1, 0.25).toArray()).toEqual([0, 0.25, 0.5, 0.75]);
    expect(arange(3).toArray()).toEqual([0, 1, 2]);
    expect(linspace(0, 1, 5).toArray()).toEqual([0, 0.25, 0.5, 0.75, 1]);
  });

  test('rand and randn: same seed, same numbers; different seeds differ', () => {
    expect(Array.from(rand([3, 4], { seed: 5 }).data)).toEqual(Array.from(rand([3, 4], { seed: 5 }).data));
    expect(Array.from(randn([7], { seed: 5 }).data)).toEqual(Array.from(randn([7], { seed: 5 }).data));
    expect(Array.from(randn([7], { seed: 5 }).data)).not.toEqual(Array.from(randn([7], { seed: 6 }).data));
    const u = rand([1000], { seed: 1 }).data;
    expect(u.every((x) => x >= 0 && x < 1)).toBe(true);
    // A shared generator continues its stream.
    const rng = new Rng(3);
    const first = randn([4], { seed: rng });
    const second = randn([4], { seed: rng });
    expect(Array.from(first.data)).not.toEqual(Array.from(second.data));
    expect([...first.data, ...second.data]).toEqual(Array.from(randn([8], { seed: 3 }).data));
  });

  test('the generator is bit-identical across machines (pinned values)', () => {
    expect(Array.from(rand([3], { seed: 42 }).data)).toMatchInlineSnapshot(`
      [
        0.23955312807799112,
        0.09323416053257594,
        0.4471016215948881,
      ]
    `);
    expect(Array.from(randn([3], { seed: 42 }).data)).toMatchInlineSnapshot(`
      [
        1.4086778826227464,
        0.9346586212095811,
        0.7367487259753918,
      ]
    `);
  });
});

describe('gradients', () => {
  test('grad accumulates across backward calls until set to null', () => {
    const x = tensor([1, 2, 3], { requiresGrad: true });
    x.mul(x).sum().backward();
    x.mul(x).sum().backward();
    expect(x.grad!.toArray()).toEqual([4, 8, 12]);
    x.grad = null;
    expect(x.grad).toBeNull();
    x.mul(3).sum().backward();
    expect(x.grad!.toArray()).toEqual([3, 3, 3]);
  });

  test('retainGrad keeps a non-leaf gradient; detach cuts the graph', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const h = x.mul(x).retainGrad();
    const d = x.detach();
    expect(d.requiresGrad).toBe(false);
    h.mul(d).sum().backward();
    expect(h.grad!.toArray()).toEqual([1, 2]);
    expect(x.grad!.toArray()).toEqual([2, 8]);
  });
});
