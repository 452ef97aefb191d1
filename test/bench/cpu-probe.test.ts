import { describe, expect, test } from 'vitest';
import { cpuProbeMs, describeProbe } from '@tapegrad/bench';

describe('the bench CPU probe', () => {
  test('times its loop (a positive, finite number of milliseconds)', () => {
    const ms = cpuProbeMs(3);
    expect(Number.isFinite(ms)).toBe(true);
    expect(ms).toBeGreaterThan(0);
  });

  test('says when the machine changed speed during a run, and stays quiet otherwise', () => {
    expect(describeProbe(10, 11)).toBe('CPU probe (a fixed allocation-free loop): 10.00 ms at start, 11.00 ms at end');
    expect(describeProbe(10, 21)).toContain('the machine ran 2.10× slower at the end');
    expect(describeProbe(20, 10)).toContain('2.00× faster at the end');
  });
});
