import { customOp, enableGrad, Tensor, tensor } from '@tapegrad/core';
import { checkOp, type OpCheck } from '@tapegrad/verify';
import { describe, expect, test } from 'vitest';

const statusOf = (checks: readonly OpCheck[]): Record<string, string> => Object.fromEntries(checks.map((c) => [c.name, c.status]));

// y = x³, dy/dx = 3x²  ⇒  dx = dy·3x²
const cube = customOp({
  name: 'cube',
  forward: (x) => ({ data: x.data.map((v) => v ** 3), shape: x.shape }),
  backward: ({ inputs: [x], dy }) => [dy.mul(x!.square()).mul(3)],
});

// The same rule on raw arrays: right first derivatives, constant under createGraph.
const rawCube = customOp({
  name: 'rawCube',
  forward: (x) => ({ data: x.data.map((v) => v ** 3), shape: x.shape }),
  backward: ({ inputs: [x], dy }) => [new Tensor(dy.data.map((g, i) => 3 * g * x!.data[i]! ** 2), dy.shape, dy.dtype)],
});

describe('checkOp', () => {
  test('a custom op with a differentiable backward passes every contract', () => {
    const r = checkOp(cube, { shapes: [[2, 3]] });
    expect(r.ok).toBe(true);
    expect(r.isBackwardDifferentiable).toBe(true);
    expect(statusOf(r.checks)).toEqual({
      'first derivatives': 'pass',
      'second derivatives': 'pass',
      'jvp vs vjp': 'pass',
      'output shape and dtype': 'pass',
      broadcasting: 'skip',
      'inputs unchanged': 'pass',
      'noGrad records nothing': 'pass',
    });
    expect(r.text.split('\n')[0]).toBe("✓ checkOp 'cube': the contract holds");
  });

  test('a backward on raw arrays: first derivatives pass, "backward is not differentiable" instead of wrong second derivatives', () => {
    const r = checkOp(rawCube, [tensor([0.5, -1.5, 2])]);
    expect(r.ok).toBe(false);
    expect(r.isBackwardDifferentiable).toBe(false);
    const s = statusOf(r.checks);
    expect(s['first derivatives']).toBe('pass');
    expect(s['second derivatives']).toBe('fail');
    expect(s['jvp vs vjp']).toBe('skip');
    expect(r.checks.find((c) => c.name === 'second derivatives')!.message).toMatch(/^backward is not differentiable: /);
    // Accepted when second order is not needed.
    expect(checkOp(rawCube, [tensor([0.5, -1.5, 2])], { requiresSecondOrder: false }).ok).toBe(true);
  });

  test('a wrong rule fails first derivatives', () => {
    const wrong = customOp({
      name: 'cubeTwiceTooSteep',
      forward: (x) => ({ data: x.data.map((v) => v ** 3), shape: x.shape }),
      backward: ({ inputs: [x], dy }) => [dy.mul(x!.square()).mul(6)],
    });
    const r = checkOp(wrong, { shapes: [[3]] });
    expect(statusOf(r.checks)['first derivatives']).toBe('fail');
    expect(r.checks[0]!.message).toMatch(/^gradcheck of cubeTwiceTooSteep: failed; worst at input 0/);
  });

  test('an op that writes into its input fails "inputs unchanged"', () => {
    const clobber = customOp({
      name: 'doubleInPlace',
      forward: (x) => {
        for (let i = 0; i < x.size; i++) x.data[i] = 2 * x.data[i]!;
        return x;
      },
      backward: ({ dy }) => [dy.mul(2)],
    });
    const r = checkOp(clobber, { shapes: [[2]] });
    expect(r.checks.find((c) => c.name === 'inputs unchanged')).toEqual({ name: 'inputs unchanged', status: 'fail', message: 'forward changed input 0' });
  });

  test('an op that always returns float64 fails the dtype contract', () => {
    const f64 = customOp({
      name: 'alwaysFloat64',
      forward: (x) => new Tensor(Float64Array.from(x.data, (v) => 2 * v), x.shape, 'float64'),
      backward: ({ dy }) => [dy.mul(2)],
    });
    const r = checkOp(f64, { shapes: [[2]] });
    expect(r.checks.find((c) => c.name === 'output shape and dtype')!).toMatchObject({ status: 'fail', message: 'float32 inputs gave a float64 output' });
  });

  test('broadcasting: checked when claimed, and an op that ignores it is caught', () => {
    // y = a·b, da = dy·b, db = dy·a (the engine sums back to each input's shape)
    const times = customOp({
      name: 'times',
      forward: (a, b) => a.mul(b),
      backward: ({ inputs: [a, b], dy }) => [dy.mul(b!), dy.mul(a!)],
    });
    const good = checkOp(times, { shapes: [[2, 3], [2, 3]], broadcasts: true });
    expect(statusOf(good.checks)['broadcasting']).toBe('pass');
    expect(good.ok).toBe(true);
    const elementwiseOnly = customOp({
      name: 'timesSameShape',
      forward: (a, b) => ({ data: a.data.map((v, i) => v * b.data[i % b.size]!), shape: a.shape }),
      backward: ({ inputs: [a, b], dy }) => [dy.mul(b!), dy.mul(a!)],
    });
    const bad = checkOp(elementwiseOnly, { shapes: [[2, 3], [2, 3]], broadcasts: true });
    expect(bad.checks.find((c) => c.name === 'broadcasting')!).toMatchObject({ status: 'fail', message: '[2, 1] with [1, 3] gave [2, 1], expected [2, 3]' });
  });

  test('an op that records under noGrad is caught', () => {
    const sneaky = (x: Tensor): Tensor => enableGrad(() => x.mul(2));
    const r = checkOp(sneaky, { shapes: [[2]] }, { name: 'sneaky' });
    expect(r.checks.find((c) => c.name === 'noGrad records nothing')!).toMatchObject({ status: 'fail' });
  });

  test('needs sample inputs', () => {
    expect(() => checkOp(cube, [])).toThrowErrorMatchingInlineSnapshot(`[ArgumentError: checkOp: 'cube' needs sample inputs (tensors, or { shapes })]`);
  });
});

test('checkOp: a rule that multiplies by a value saved in forward has constant second derivatives, and says so', () => {
  // y = softplus(x), dy/dx = σ(x), but σ(x) is computed in forward (recording off) and saved
  const softplus = customOp<{ s: Tensor }>({
    name: 'savedSoftplus',
    forward: (x) => ({ output: { data: x.data.map((v) => Math.log1p(Math.exp(v))), shape: x.shape }, attrs: { s: x.sigmoid() } }),
    backward: ({ dy, attrs }) => [dy.mul(attrs.s)],
  });
  const r = checkOp(softplus, { shapes: [[3]] });
  expect(r.isBackwardDifferentiable).toBe(false);
  const second = r.checks.find((c) => c.name === 'second derivatives')!;
  expect(second.status).toBe('fail');
  expect(second.message).toMatch(/^backward is not differentiable with respect to the inputs: /);
  expect(r.checks.find((c) => c.name === 'first derivatives')!.status).toBe('pass');
});
