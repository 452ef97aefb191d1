/** convTranspose2d and einsum: forward values and errors (gradients: op-specs and the PyTorch fixtures). */
import { conv2d, convTranspose2d, einsum, matmul, ones, randn, sum, tensor, transpose, type Tensor } from '@tapegrad/core';
import { describe, expect, test } from 'vitest';

const dot = (a: Tensor, b: Tensor): number => a.mul(b).sum().item();
const close = (a: ArrayLike<number>, b: ArrayLike<number>): void => {
  expect(a.length).toBe(b.length);
  Array.from(b).forEach((v, i) => expect(a[i]).toBeCloseTo(v, 12));
};

describe('convTranspose2d', () => {
  test.each([
    [1, 0, 1, 1, 0], [2, 1, 1, 1, 1], [2, 0, 2, 2, 0], [3, 2, 1, 2, 2],
  ])('stride %i, padding %i, dilation %i, groups %i, outputPadding %i: the adjoint of conv2d in x', (s, p, d, groups, op) => {
    const w = randn([4, 6 / groups, 3, 2], { seed: s + 10 * d });
    const x = randn([2, 4, 3, 4], { seed: p + groups });
    const y = convTranspose2d(x, w, null, { stride: s, padding: p, dilation: d, groups, outputPadding: op });
    const u = randn(y.shape, { seed: 5 });
    // ⟨conv2d(u, w), x⟩ = ⟨u, convTranspose2d(x, w)⟩ for the conv2d whose output has x's spatial size.
    const c = conv2d(u, w, null, { stride: s, padding: p, dilation: d, groups });
    expect(c.shape).toEqual(x.shape);
    expect(dot(c, x)).toBeCloseTo(dot(u, y), 10);
  });

  test('values, bias and errors', () => {
    expect(convTranspose2d(ones([1, 1, 2, 2]), ones([1, 1, 2, 2]), tensor([1]), { stride: 2 }).toArray()).toEqual([[[[2, 2, 2, 2], [2, 2, 2, 2], [2, 2, 2, 2], [2, 2, 2, 2]]]]);
    expect(() => convTranspose2d(ones([1, 2, 2, 2]), ones([3, 1, 2, 2]))).toThrowErrorMatchingInlineSnapshot(`[ShapeError: convTranspose2d: weight must be [Cin = 2, Cout/groups, kH, kW], got x [1, 2, 2, 2] and weight [3, 1, 2, 2]]`);
    expect(() => convTranspose2d(ones([1, 1, 2, 2]), ones([1, 1, 2, 2]), null, { outputPadding: 1 })).toThrowErrorMatchingInlineSnapshot(`[ArgumentError: convTranspose2d: outputPadding must be smaller than stride, got outputPadding [1, 1] and stride [1, 1]]`);
  });
});

describe('einsum', () => {
  const a = randn([3, 4], { seed: 1 });
  const b = randn([4, 2], { seed: 2 });
  const c = randn([5, 3, 4], { seed: 3 });
  const e = randn([5, 4, 2], { seed: 4 });

  test('matmul, batched matmul, outer, trace, transpose, sums', () => {
    close(einsum('ij,jk->ik', a, b).data, matmul(a, b).data);
    close(einsum('ij,jk', a, b).data, matmul(a, b).data);
    close(einsum('bij,bjk->bik', c, e).data, matmul(c, e).data);
    close(einsum('bij,bjk->bki', c, e).data, transpose(matmul(c, e), [0, 2, 1]).data);
    const u = tensor([1, 2, 3]);
    const v = tensor([4, 5]);
    expect(einsum('i,j->ij', u, v).toArray()).toEqual([[4, 5], [8, 10], [12, 15]]);
    expect(einsum('i,i->', u, u).item()).toBe(14);
    expect(einsum('ii->', tensor([[1, 2], [3, 4]])).item()).toBe(5);
    expect(einsum('ii->i', tensor([[1, 2], [3, 4]])).toArray()).toEqual([1, 4]);
    expect(einsum('ij->ji', tensor([[1, 2, 3]])).toArray()).toEqual([[1], [2], [3]]);
    close(einsum('ij->j', a).data, sum(a, 0).data);
    close(einsum('ij,jk,kl->il', a, b, tensor([[1, 0], [0, 2]])).data, matmul(matmul(a, b), tensor([[1, 0], [0, 2]])).data);
  });

  test('errors name the equation and the shapes', () => {
    expect(() => einsum('ij,jk->ik', a, a)).toThrowErrorMatchingInlineSnapshot(`[ShapeError: einsum: letter 'j' has sizes 4 and 3 in 'ij,jk->ik', got shapes [3, 4], [3, 4]]`);
    expect(() => einsum('ij,jk->ik', a)).toThrowErrorMatchingInlineSnapshot(`[ArgumentError: einsum: equation 'ij,jk->ik' names 2 operand(s), got 1]`);
    expect(() => einsum('ijk->i', a)).toThrowErrorMatchingInlineSnapshot(`[ShapeError: einsum: operand 0 has 3 letter(s) 'ijk' in 'ijk->i', got operands[0] [3, 4]]`);
    expect(() => einsum('ij->iz', a)).toThrowErrorMatchingInlineSnapshot(`[ArgumentError: einsum: equation must use only input letters in the output ('z' is not an input letter), got 'ij->iz']`);
    expect(() => einsum('...ij->ij', a)).toThrowErrorMatchingInlineSnapshot(`[ArgumentError: einsum: equation must use only letters, ',' and '->' (no '...'), got '...ij->ij']`);
  });
});
