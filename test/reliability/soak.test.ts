import { tapeLength } from '@tapegrad/core';
import { expect, test } from 'vitest';
import { heapAfterGc as heap } from './heap.ts';
import { makeW1 } from './w1.ts';


test('W1-small for 200 steps: the tape is empty between steps, the heap does not grow, the loss goes down', () => {
  const net = makeW1(0);
  const start = tapeLength();
  const losses: number[] = [];
  let heap50 = 0;
  for (let s = 1; s <= 200; s++) {
    losses.push(net.step());
    expect(tapeLength()).toBe(start);
    if (s === 50) heap50 = heap();
  }
  const growth = heap() - heap50;
  // 150 steps allocate ~150 × 1 MB of activations and gradients; none of it may stay reachable.
  expect(growth).toBeLessThan(1 * 2 ** 20);
  expect(losses[199]!).toBeLessThan(losses[0]!);
  expect(losses.every(Number.isFinite)).toBe(true);
});

test('a forward pass that is never backpropagated is garbage collected with its tensors', async () => {
  const net = makeW1(1, [30, 64, 1], 512);
  const start = tapeLength();
  const before = heap();
  // Evaluating outside noGrad records nodes that no backward pass will ever release: nothing global
  // may keep them, so they go when their output is dropped.
  const w = net.params[0]!;
  for (let i = 0; i < 200; i++) w.mul(2).exp().sum().item();
  expect(tapeLength()).toBeGreaterThan(start);
  // Finalization callbacks run after a collection, in a later task.
  for (let k = 0; k < 100 && tapeLength() !== start; k++) {
    heap();
    await new Promise((r) => setTimeout(r, 10));
  }
  expect(tapeLength()).toBe(start);
  expect(heap() - before).toBeLessThan(1 * 2 ** 20);
});
