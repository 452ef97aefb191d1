import { tensor, zeros } from '@tapegrad/core';
import { describe, expect, test } from 'vitest';

// Issue 13, item 3 (items 1 and 2, the GEMM worker pool, are tested beside it by its owner).

describe('Tensor.toString of a large tensor (item 3)', () => {
  test('formats only the elements it prints (7 per axis): 49 numbers for a 300×300 tensor, not 90,000', () => {
    const t = zeros([300, 300]);
    t.data[1] = 0.5;
    const toFixed = Number.prototype.toFixed;
    let calls = 0;
    Number.prototype.toFixed = function (this: number, digits?: number): string {
      calls++;
      return toFixed.call(this, digits);
    };
    let s: string;
    try {
      s = t.toString();
    } finally {
      Number.prototype.toFixed = toFixed;
    }
    expect(calls).toBeLessThanOrEqual(49);
    expect(s.split('\n')).toHaveLength(7);
    expect(s).toContain('0.5000');
  });

  test('a 3000×3000 tensor prints (the old formatter took seconds and hundreds of MB)', () => {
    const t = zeros([3000, 3000]);
    t.data[t.size - 1] = 0.25;
    expect(t.toString()).toContain('0.2500]], shape=[3000, 3000]');
  });

  test('the summary keeps first and last three entries on every axis', () => {
    const t = tensor(Array.from({ length: 64 }, (_, i) => i), { shape: [8, 8] });
    expect(t.toString()).toMatchInlineSnapshot(`
      "tensor([[ 0.,  1.,  2., ...,  5.,  6.,  7.],
              [ 8.,  9., 10., ..., 13., 14., 15.],
              [16., 17., 18., ..., 21., 22., 23.],
              ...,
              [40., 41., 42., ..., 45., 46., 47.],
              [48., 49., 50., ..., 53., 54., 55.],
              [56., 57., 58., ..., 61., 62., 63.]], shape=[8, 8], dtype=float64)"
    `);
  });
});
