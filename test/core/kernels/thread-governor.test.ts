import { describe, expect, it } from 'vitest';
import { GOVERNOR_DEFAULTS, ThreadGovernor } from '../../../packages/core/src/kernels/wasm/thread-governor.ts';

/**
 * Drives a governor through `count` products of one shape whose time depends on the mode (and on
 * the product's index, for a load that changes): returns how many products ran on the pool.
 */
function drive(g: ThreadGovernor, count: number, ms: (pooled: boolean, i: number) => number, key = '512x512x512d'): boolean[] {
  const modes: boolean[] = [];
  for (let i = 0; i < count; i++) {
    const pooled = g.usePool(key);
    modes.push(pooled);
    g.record(key, pooled, ms(pooled, i));
  }
  return modes;
}

const count = (xs: boolean[], v: boolean): number => xs.filter((x) => x === v).length;

describe('ThreadGovernor', () => {
  it('starts on the pool, tries one thread on the 2nd product, then (pool clearly ahead) on the 10th', () => {
    const g = new ThreadGovernor();
    const modes = drive(g, 12, (pooled) => (pooled ? 7 : 12));
    expect(modes).toEqual([true, false, true, true, true, true, true, true, true, false, true, true]);
    expect(g.prefersPool('512x512x512d')).toBe(true);
    expect(g.prefersPool('64x64x64d')).toBeUndefined();
  });

  it('keeps a pool that is clearly faster, and tries one thread less and less often (at most 1 in 64)', () => {
    const g = new ThreadGovernor();
    const modes = drive(g, 1000, (pooled) => (pooled ? 7 : 12));
    expect(g.prefersPool('512x512x512d')).toBe(true);
    // Tries at 2, 10 (interval 8 after a clear loss), 26, 58, 122, then every 64.
    expect(count(modes, false)).toBeLessThanOrEqual(4 + Math.ceil(1000 / GOVERNOR_DEFAULTS.maxInterval));
    expect(count(modes.slice(200), false)).toBeLessThanOrEqual(Math.ceil(800 / 64) + 1);
  });

  it('moves to one thread when the pool is slower, says so once, and still tries the pool', () => {
    const heard: string[] = [];
    const g = new ThreadGovernor((key) => heard.push(key));
    const modes = drive(g, 400, (pooled) => (pooled ? 15 : 12));
    expect(g.prefersPool('512x512x512d')).toBe(false);
    // After the first try of one thread (the 2nd product), only tries run on the pool.
    expect(count(modes.slice(8), true)).toBeGreaterThan(0);
    // Each try the pool clearly loses halves how often it is tried, down to 1 product in 64.
    expect(count(modes.slice(200), true)).toBeLessThanOrEqual(Math.ceil(200 / 64) + 1);
    expect(heard).toEqual(['512x512x512d']);
  });

  it('follows the load: back to one thread when the cores get busy, back to the pool when they are free', () => {
    const g = new ThreadGovernor();
    // Pool 7 ms against 12 ms; products 300–599: pool 20 ms against 14 ms; then as at first.
    const busy = (i: number): boolean => i >= 300 && i < 600;
    const modes = drive(g, 900, (pooled, i) => (busy(i) ? (pooled ? 20 : 14) : (pooled ? 7 : 12)));
    // Within one longest interval (64) plus a few tries of each change, the choice has followed.
    expect(count(modes.slice(300 + 80, 600), true)).toBeLessThanOrEqual(Math.ceil(220 / 4) + 1);
    expect(count(modes.slice(600 + 80, 900), false)).toBeLessThanOrEqual(Math.ceil(220 / 4) + 1);
    expect(count(modes.slice(300 + 80, 600), false)).toBeGreaterThan(150);
    expect(count(modes.slice(600 + 80, 900), true)).toBeGreaterThan(150);
  });

  it('tries the other mode every 4th product while the two come close', () => {
    const g = new ThreadGovernor();
    const modes = drive(g, 400, (pooled) => (pooled ? 12.2 : 12));
    expect(count(modes.slice(100), g.prefersPool('512x512x512d') !== true)).toBe(75);
  });

  it('is not moved by one slow product (the median of the last three decides)', () => {
    const g = new ThreadGovernor();
    drive(g, 20, (pooled) => (pooled ? 7 : 12));
    g.usePool('512x512x512d');
    g.record('512x512x512d', true, 500);
    expect(g.prefersPool('512x512x512d')).toBe(true);
  });

  it('keeps each shape apart, forgets them on reset, and bounds how many it keeps', () => {
    const g = new ThreadGovernor(() => {}, { ...GOVERNOR_DEFAULTS, maxShapes: 2 });
    drive(g, 8, (pooled) => (pooled ? 7 : 12), 'a');
    drive(g, 8, (pooled) => (pooled ? 15 : 12), 'b');
    expect([g.prefersPool('a'), g.prefersPool('b')]).toEqual([true, false]);
    drive(g, 1, () => 1, 'c');
    expect(g.prefersPool('a')).toBeUndefined();
    drive(g, 8, (pooled) => (pooled ? 15 : 12), 'c');
    g.reset();
    expect(g.prefersPool('c')).toBeUndefined();
  });

  it('keeps the pool that wins each of three interleaved products when each has its own record', () => {
    // W1 big's 256³ products, each step: two at 1.0 ms pooled / 1.6 alone, one (writing a fresh
    // gradient) at 2.1 / 2.6. One record for the three ran 68 % of them on one thread (28 % slower);
    // gemm-wasm.ts keys its records by shape, transposes and accumulation for this reason.
    const pooledMs = [1.0, 2.1, 1.0];
    const aloneMs = [1.6, 2.6, 1.6];
    const g = new ThreadGovernor();
    let alone = 0;
    for (let step = 0; step < 600; step++) {
      for (let v = 0; v < 3; v++) {
        const isPooled = g.usePool(`256x256x256d${v}`);
        g.record(`256x256x256d${v}`, isPooled, isPooled ? pooledMs[v]! : aloneMs[v]!);
        if (!isPooled) alone++;
      }
    }
    expect(alone / 1800).toBeLessThan(0.05);
    expect([0, 1, 2].map((v) => g.prefersPool(`256x256x256d${v}`))).toEqual([true, true, true]);
  });

  it('ignores a time that is not a number', () => {
    const g = new ThreadGovernor();
    drive(g, 8, (pooled) => (pooled ? 7 : 12));
    g.usePool('512x512x512d');
    g.record('512x512x512d', true, Number.NaN);
    expect(g.prefersPool('512x512x512d')).toBe(true);
  });
});
