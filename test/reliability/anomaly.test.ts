import {
  AnomalyError, TapegradError, customOp, detectAnomaly, isAnomalyEnabled, noGrad, setDetectAnomaly, tapeLength, tensor,
} from '@tapegrad/core';
import { afterEach, describe, expect, test } from 'vitest';

/** The line of the caller in this file, to check that errors point at the user's own line. */
function lineHere(): number {
  const frame = new Error().stack!.split('\n')[2]!;
  return Number(/anomaly\.test\.ts:(\d+):\d+/.exec(frame)![1]);
}

function caught(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a throw');
}

afterEach(() => setDetectAnomaly(false));

describe('forward phase', () => {
  test('log of a negative number names the op, the phase, the shapes and the calling line', () => {
    const x = tensor([[1, 2, -3], [4, 5, 6]], { requiresGrad: true });
    const before = tapeLength();
    const line = lineHere(); const f = (): unknown => x.log();
    const e = caught(() => detectAnomaly(f));
    expect(e).toBeInstanceOf(AnomalyError);
    expect(e).toBeInstanceOf(TapegradError);
    expect(e.message).toMatch(/^log: /);
    expect(e.message).toContain('got NaN at element 2 of the output [2, 3]');
    expect(e.message).toContain('phase: forward');
    expect(e.message).toContain('input shapes: [2, 3]');
    expect(e.message).toContain(`anomaly.test.ts:${line}:`);
    expect(e.message).not.toMatch(/packages[\\/]core/);
    // The failing op recorded nothing, and the mode is off again.
    expect(tapeLength()).toBe(before);
    expect(isAnomalyEnabled()).toBe(false);
  });

  test('ops that are not recorded are checked too (no grad, and inside noGrad)', () => {
    const c = tensor([-1, 1]);
    expect(() => detectAnomaly(() => c.sqrt())).toThrow(/^sqrt: .*NaN at element 0/);
    const w = tensor([0, 1], { requiresGrad: true });
    const e = caught(() => detectAnomaly(() => noGrad(() => w.log())));
    expect(e.message).toMatch(/^log: .*-Inf at element 0 of the output \[2\]/);
    expect(e.message).toContain('anomaly.test.ts:');
  });

  test('binary ops list every input shape; a propagated non-finite input is called out', () => {
    const a = tensor([[1], [2]]);
    const b = tensor([0, 1, 2]);
    const e = caught(() => detectAnomaly(() => a.div(b)));
    expect(e.message).toMatch(/^div: .*\+Inf at element 0 of the output \[2, 3\]/);
    expect(e.message).toContain('input shapes: [2, 1], [3]');
    const inf = tensor([Infinity, 1]);
    expect(caught(() => detectAnomaly(() => inf.mul(2))).message).toContain('input 0 already held non-finite values');
  });

  test('setDetectAnomaly(true) switches the checks on globally', () => {
    setDetectAnomaly(true);
    expect(isAnomalyEnabled()).toBe(true);
    expect(() => tensor([-1]).log()).toThrow(AnomalyError);
    setDetectAnomaly(false);
    expect(() => tensor([-1]).log()).not.toThrow();
  });
});

describe('backward phase', () => {
  test('sqrt at 0 gives an infinite gradient: the error names the rule and the line that recorded it', () => {
    const x = tensor([0, 4], { requiresGrad: true });
    const e = detectAnomaly(() => {
      const line = lineHere(); const y = x.sqrt();
      return Object.assign(caught(() => y.sum().backward()), { line });
    });
    expect(e).toBeInstanceOf(AnomalyError);
    expect(e.message).toMatch(/^sqrt: the backward rule must return finite gradients, got \+Inf at element 0/);
    expect(e.message).toContain('phase: backward');
    expect(e.message).toContain('input shapes: [2]');
    expect(e.message).toContain(`recorded at `);
    expect(e.message).toContain(`anomaly.test.ts:${e.line}:`);
    // Nothing was written to the leaf.
    expect(x.grad).toBeNull();
  });

  test('pow at a < 0 gives a NaN gradient for the exponent (y·ln a, ln of a negative base): blamed on pow, input 1', () => {
    // (At a = 0 the gradient is 0, its limit: see the conventions in docs/gradient-checking.md.)
    const a = tensor([-1, 2], { requiresGrad: true });
    const b = tensor([2], { requiresGrad: true });
    const e = caught(() => detectAnomaly(() => a.pow(b).sum().backward()));
    expect(e.message).toMatch(/^pow: .*got NaN at element 0 of the gradient for input 1 \[1\]/);
    expect(e.message).toContain('input shapes: [2], [1]; output shape: [2]');
  });

  test('a custom op whose rule returns NaN is caught and named', () => {
    const bad = customOp({
      name: 'badRule',
      forward: (x) => ({ data: x.data.map((v) => 2 * v), shape: x.shape }),
      backward: ({ dy }) => [dy.mul(NaN)],
    });
    const x = tensor([[1, 2], [3, 4]], { requiresGrad: true });
    const e = detectAnomaly(() => {
      const line = lineHere(); const y = bad(x);
      return Object.assign(caught(() => y.sum().backward()), { line });
    });
    expect(e).toBeInstanceOf(AnomalyError);
    expect(e.message).toMatch(/^badRule: the backward rule must return finite gradients, got NaN at element 0 of the gradient for input 0 \[2, 2\]/);
    expect(e.message).toContain(`anomaly.test.ts:${e.line}:`);
  });

  test('a zero upstream gradient through an infinite local derivative stays 0 (the untaken side of where)', () => {
    const x = tensor([0, 1], { requiresGrad: true });
    detectAnomaly(() => x.sqrt().mul(0).sum().backward());
    expect(x.grad!.toArray()).toEqual([0, 0]);
  });

  test('with createGraph the ops a rule calls are not blamed themselves: the rule is', () => {
    const x = tensor([0, 1], { requiresGrad: true });
    const e = caught(() => detectAnomaly(() => x.sqrt().sum().backward(undefined, { createGraph: true })));
    expect(e.message).toMatch(/^sqrt: .*phase: backward/);
  });

  test('a graph recorded in anomaly mode is checked even when backward runs outside it', () => {
    const x = tensor([0, 1], { requiresGrad: true });
    const y = detectAnomaly(() => x.sqrt().sum());
    expect(() => y.backward()).toThrow(/^sqrt: .*phase: backward.*anomaly\.test\.ts:\d+/);
  });

  test('backward in anomaly mode over a graph recorded outside it still checks, and says where to look', () => {
    const x = tensor([0, 1], { requiresGrad: true });
    const y = x.sqrt().sum();
    expect(() => detectAnomaly(() => y.backward())).toThrow(/^sqrt: .*unknown place \(run the forward pass inside detectAnomaly/);
  });
});

describe('normal runs stay fast', () => {
  test('no stack is captured and nothing is checked outside anomaly mode', () => {
    const x = tensor([0, -1], { requiresGrad: true });
    const y = x.log();
    expect(y.node!.stack).toBeUndefined();
    expect(Number.isNaN(y.data[1]!)).toBe(true);
    y.sum().backward();
    expect(x.grad!.toArray()).toEqual([Infinity, -1]);
  });

  test('in anomaly mode the stack is captured at record time', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const y = detectAnomaly(() => x.exp());
    expect(y.node!.stack).toContain('anomaly.test.ts');
    y.sum().backward();
  });

  test('finite programs run unchanged in anomaly mode', () => {
    const x = tensor([[0.5, -1], [2, 3]], { requiresGrad: true });
    detectAnomaly(() => x.tanh().mul(x).sigmoid().sum().backward());
    expect(x.grad!.shape).toEqual([2, 2]);
  });
});
