import { ArgumentError, Rng, ShapeError, full, matmul, ones, rand, randn, tensor, zeros } from '@tapegrad/core';
import { describe, expect, test } from 'vitest';

// Issue 13, "Unclear errors" and item 14 (seeds): each test failed before its fix.

describe('oversized shapes (item 24)', () => {
  test('factories name the op and the size instead of a raw RangeError', () => {
    expect(() => zeros([1e5, 1e5])).toThrowErrorMatchingInlineSnapshot(`[ShapeError: zeros: shape [100000, 100000] needs 10000000000 elements (80000000000 bytes of float64), more than can be allocated]`);
    expect(() => ones([1e5, 1e5], { dtype: 'float32' })).toThrow(ShapeError);
    expect(() => full([1e6, 1e6], 1)).toThrow(/^full: shape \[1000000, 1000000\]/);
    expect(() => rand([1e6, 1e6])).toThrow(/^rand: /);
    expect(() => randn([1e6, 1e6])).toThrow(/^randn: /);
  });

  test('ops whose result outgrows their inputs (broadcasting, matmul) name the op too', () => {
    const col = zeros([100000, 1]);
    const row = zeros([1, 100000]);
    expect(() => col.add(row)).toThrow(/^add: shape \[100000, 100000\] needs 10000000000 elements/);
    expect(() => matmul(col, row)).toThrow(/^matmul: shape \[100000, 100000\] needs/);
    expect(() => col.broadcastTo([100000, 100000])).toThrow(/^broadcastTo: /);
  });
});

describe('tensor() input (item 25)', () => {
  test('a DataView is refused with a typed error', () => {
    expect(() => tensor(new DataView(new ArrayBuffer(16)) as never)).toThrow(ArgumentError);
  });

  test('array-likes with a bad length are refused, never a shape [undefined] or [-1]', () => {
    for (const bad of [{ length: -1 }, { length: 1.5 }, { length: '3' }, { length: NaN }]) {
      expect(() => tensor(bad as never)).toThrow(ArgumentError);
    }
    expect(() => tensor({ length: -1 } as never)).toThrowErrorMatchingInlineSnapshot(`[ArgumentError: tensor: an array-like's length must be a non-negative integer, got -1]`);
    expect(() => tensor({ length: 1e12 } as never)).toThrow(ShapeError);
    expect(tensor({ length: 2, 0: 5, 1: 6 } as never).toArray()).toEqual([5, 6]);
  });
});

describe('random seeds (item 14)', () => {
  const stream = (seed: number): number[] => {
    const r = new Rng(seed);
    return [r.nextUint32(), r.nextUint32(), r.nextUint32()];
  };

  test('seeds that agree modulo 2³² give different streams', () => {
    expect(stream(2 ** 32)).not.toEqual(stream(0));
    expect(stream(-1)).not.toEqual(stream(2 ** 32 - 1));
    expect(stream(2 ** 53 - 1)).not.toEqual(stream(2 ** 32 - 1));
    expect(stream(-(2 ** 53 - 1))).not.toEqual(stream(1));
  });

  test('seeds in [0, 2³²) keep their streams', () => {
    expect(stream(0)).toEqual([4205396811, 3543653536, 1222415357]);
  });

  test('non-integer, non-finite and out-of-range seeds are refused', () => {
    for (const bad of [1.5, NaN, Infinity, 2 ** 53, -(2 ** 53), '1']) {
      expect(() => new Rng(bad as never)).toThrow(ArgumentError);
    }
    expect(() => new Rng(1.5)).toThrowErrorMatchingInlineSnapshot(`[ArgumentError: Rng: seed must be an integer from -(2^53 - 1) to 2^53 - 1, got 1.5]`);
    expect(() => rand([2], { seed: NaN })).toThrow(ArgumentError);
    expect(() => randn([2], { seed: 0.5 })).toThrow(ArgumentError);
  });
});
