import { describe, expect, test } from 'vitest';
import { extractBlocks, instrument, matches, show } from './snippets.ts';

describe('docs test helpers', () => {
  test('extracts ts blocks only', () => {
    const md = ['# t', '```ts', 'const a = 1;', '```', '```sh', 'ls', '```', '```typescript', 'b', '```'].join('\n');
    expect(extractBlocks(md)).toEqual([{ line: 2, code: 'const a = 1;' }, { line: 8, code: 'b' }]);
  });

  test('instruments logs that carry an expected value', () => {
    const r = instrument('const x = 1;\n  console.log(x, [1]); // 1 [1]\nconsole.log(2);');
    expect(r.expectations).toEqual([{ line: 2, expected: '1 [1]' }]);
    expect(r.code.split('\n')[1]).toBe('  (globalThis as any).__docLog(2, x, [1]);');
    expect(r.code.split('\n')[2]).toBe('console.log(2);');
  });

  test('compares to the digits shown', () => {
    expect(show([[1, 2], new Float64Array([0.5])])).toBe('[[1, 2], [0.5]]');
    expect(matches('[-0.11920292202211769, 0.2689]', '→ [−0.1192, 0.2689]')).toBe(true);
    expect(matches('[-0.1193]', '[-0.1192]')).toBe(false);
    expect(matches('0.6931471805599453', '0.6931471805599453')).toBe(true);
    expect(matches('-0.479425538604203', '−sin(0.5) ≈ -0.4794')).toBe(true);
    expect(matches('true false', 'true false')).toBe(true);
    expect(matches('true', 'false')).toBe(false);
    expect(matches('[1, 2, 3]', '[1, 2]')).toBe(false);
  });
});
