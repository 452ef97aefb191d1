import { ArgumentError, detectAnomaly, enableGrad, grad, isAnomalyEnabled, isGradEnabled, noGrad, tensor, withScope } from '@tapegrad/core';
import { describe, expect, test } from 'vitest';

// Issue 13, item 12: an async callback would see the setting undone at its first await (ops recorded
// under noGrad, anomaly checks skipped). It is refused with a typed error, never silently half-applied.

const settings = (): [boolean, boolean] => [isGradEnabled(), isAnomalyEnabled()];

describe.each([
  ['noGrad', <T>(fn: () => T): T => noGrad(fn)],
  ['enableGrad', <T>(fn: () => T): T => noGrad(() => enableGrad(fn))],
  ['detectAnomaly', <T>(fn: () => T): T => detectAnomaly(fn)],
  ['withScope', <T>(fn: () => T): T => withScope('Block', fn)],
] as const)('%s', (name, run) => {
  test('an async function is refused before any of it runs', async () => {
    let ran = false;
    const before = settings();
    expect(() =>
      run(async () => {
        ran = true;
        await Promise.resolve();
        return tensor([1], { requiresGrad: true }).mul(2);
      }),
    ).toThrow(ArgumentError);
    expect(ran).toBe(false);
    expect(settings()).toEqual(before);
  });

  test('a plain function that returns a promise is refused when it returns, and its rejection is handled', async () => {
    const before = settings();
    let message = '';
    try {
      run(() => Promise.reject(new Error('late')));
    } catch (e) {
      message = (e as Error).message;
      expect(e).toBeInstanceOf(ArgumentError);
    }
    expect(message).toMatch(new RegExp(`^${name}: fn must be synchronous, got a function that returned a Promise`));
    expect(settings()).toEqual(before);
    await new Promise((r) => setTimeout(r, 5)); // an unhandled rejection would fail the run here
  });

  test('synchronous callbacks work as before', () => {
    expect(run(() => 41 + 1)).toBe(42);
  });
});

test('the error text', () => {
  expect(() => noGrad(async () => 1)).toThrowErrorMatchingInlineSnapshot(`[ArgumentError: noGrad: fn must be synchronous, got an async function; the setting would stop applying at its first await. Wrap the synchronous parts instead, e.g. const y = noGrad(() => f(x)); await …]`);
});

test('transforms refuse an async f', () => {
  expect(() => grad(async (x) => x.sum() as never)(tensor([1]))).toThrow(/^grad: f must be synchronous/);
});
