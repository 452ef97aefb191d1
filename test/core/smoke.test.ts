import { tensor, value } from '@tapegrad/core';
import { expect, test } from 'vitest';

test('micrograd sanity program', () => {
  const x = value(-4);
  const z = x.mul(2).add(2).add(x);
  const q = z.relu().add(z.mul(x));
  const h = z.mul(z).relu();
  const y = h.add(q).add(q.mul(x));
  y.backward();
  expect(y.data).toBe(-20);
  expect(x.grad).toBe(46);
});

test('tensor x·x summed has gradient 2x', () => {
  const x = tensor([[1, 2], [3, 4]], { requiresGrad: true });
  x.mul(x).sum().backward();
  expect(x.grad!.toArray()).toEqual([[2, 4], [6, 8]]);
});
