import { GradError, value, type Value } from '@tapegrad/core';
import { describe, expect, test } from 'vitest';
import { heapAfterGc as heap } from './heap.ts';
import { scalarLane } from '../../packages/core/src/graph/scalar-tape.ts';
import { makeSoak } from './micrograd-soak.ts';

// Issue 13, items 15 and 16: Value computations that are never backpropagated (an accuracy evaluated
// every epoch, a stray op each step) must not grow the scalar lane, nor slow later backward passes.

/** A tiny micrograd-style model: y = tanh(w·x + b) summed over a few inputs. */
function makeModel(): { params: Value[]; forward: (x: number) => Value } {
  const w = value(0.3);
  const b = value(-0.1);
  const v = value(0.7);
  return { params: [w, b, v], forward: (x) => w.mul(x).add(b).tanh().mul(v) };
}

function trainStep(m: ReturnType<typeof makeModel>): number {
  let loss = value(0, false);
  for (const x of [-1, -0.5, 0.5, 1]) loss = loss.add(m.forward(x).sub(x).square());
  for (const p of m.params) p.grad = 0;
  loss.backward();
  for (const p of m.params) p.data -= 0.05 * p.grad;
  return loss.data;
}

describe('forward-only Value computations (item 15)', () => {
  test('an evaluation every epoch without noGrad keeps the lane bounded, for 1000 epochs', () => {
    const m = makeModel();
    const peaks: number[] = [];
    for (let epoch = 0; epoch < 1000; epoch++) {
      for (let s = 0; s < 3; s++) trainStep(m);
      // Evaluation: forward only, never backpropagated, recorded (no noGrad): ~200 rows.
      let acc = 0;
      for (let i = 0; i < 50; i++) acc += m.forward(i / 50).data > 0 ? 1 : 0;
      expect(acc).toBeGreaterThanOrEqual(0);
      peaks.push(scalarLane.length);
    }
    // Unbounded, the lane would hold 1000 × ~200 rows. Released after at most 32 passes: ~11 epochs' worth.
    expect(Math.max(...peaks.slice(500))).toBeLessThan(5000);
    expect(Math.max(...peaks.slice(500))).toBeLessThanOrEqual(Math.max(...peaks.slice(0, 500)));
  });

  test('a graph not backpropagated for many passes of other graphs fails with a message saying why', () => {
    const m = makeModel();
    const kept = m.forward(0.5);
    for (let s = 0; s < 40; s++) trainStep(m);
    expect(() => kept.backward()).toThrow(GradError);
    expect(() => kept.backward()).toThrow(/released/);
  });

  test('several losses backpropagated one after another (fewer than 16 passes apart) still work', () => {
    const m = makeModel();
    const losses = [0.1, 0.2, 0.3, 0.4, 0.5].map((x) => m.forward(x));
    for (const l of losses.reverse()) l.backward();
    expect(m.params[0]!.grad).not.toBe(0);
  });
});

describe('one stray op per step (item 16)', () => {
  test('does not pin the rows recorded after it: the lane stays bounded over 3000 steps', () => {
    const m = makeModel();
    const lengths: number[] = [];
    for (let step = 0; step < 3000; step++) {
      let loss = value(0, false);
      for (const x of [-1, 1]) loss = loss.add(m.forward(x).sub(x).square());
      const stray = m.params[1]!.add(1); // in the middle of the step: the rows after it stayed forever
      expect(stray.data).toBeDefined();
      for (const p of m.params) p.grad = 0;
      loss.backward();
      lengths.push(scalarLane.length);
    }
    // 23 rows per step stayed before: 69,000 rows here.
    expect(Math.max(...lengths.slice(1500))).toBeLessThan(2000);
  });
});

describe('soak, short version (scripts/soak-scalar.ts runs a million ops)', () => {
  test('micrograd-style training with a forward-only evaluation every epoch: rows and heap stay flat', () => {
    const soak = makeSoak(3);
    const rows: number[] = [];
    for (let e = 0; e < 12; e++) rows.push((soak.epoch(), soak.rows()));
    const heapStart = heap();
    for (let e = 0; e < 24; e++) rows.push((soak.epoch(), soak.rows()));
    const grown = heap() - heapStart;
    expect(soak.ops).toBeGreaterThan(300_000);
    // Unbounded, the lane grows by ~12k rows an epoch (and the heap with it).
    expect(Math.max(...rows.slice(24))).toBeLessThanOrEqual(Math.max(...rows.slice(0, 24)));
    expect(grown).toBeLessThan(4 * 2 ** 20);
  });
});
