import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';

// The ```ts blocks of docs/installing.md run in docs.test.ts. The CommonJS block cannot run in this (ES module)
// test process; the consumer check runs scripts/consumers/require.cjs on Node 22 and 24, so the guide's block
// must be that program's code, line for line.
const read = (rel: string): string => readFileSync(new URL(`../../${rel}`, import.meta.url), 'utf8');

describe('docs/installing.md', () => {
  test('the CommonJS snippet is the code the consumer check runs with require()', () => {
    const block = /```js\n([\s\S]*?)```/.exec(read('docs/installing.md'))?.[1];
    expect(block).toBeDefined();
    const program = read('scripts/consumers/require.cjs');
    for (const line of block!.trim().split('\n')) expect(program).toContain(line);
  });

  test('the bundle sizes it quotes are within the budget the consumer check enforces', () => {
    const budget = /core: (\d+) \* 1024, tensorOnly: (\d+) \* 1024/.exec(read('scripts/check-consumers.ts'));
    const table = /\| `export \* from '@tapegrad\/core'`[^|]*\| ([\d.]+) KiB \| (\d+) KiB \|/.exec(read('docs/performance.md'));
    expect(budget).not.toBeNull();
    expect(table).not.toBeNull();
    expect(Number(table![2])).toBe(Number(budget![1]));
    expect(Number(table![1])).toBeLessThanOrEqual(Number(budget![1]));
  });
});
