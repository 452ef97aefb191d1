import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { extractBlocks, instrument, matches, show } from './snippets.ts';

/**
 * Every ```ts block of docs/**\/*.md and README.md runs as a module (imports resolve to the packages'
 * sources); `console.log(x); // expected` lines assert what they print.
 */
const root = join(import.meta.dirname, '..', '..');
const scratch = join(import.meta.dirname, '.blocks');

function markdownFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return name === 'api' || name === 'site' ? [] : markdownFiles(p);
    return name.endsWith('.md') ? [p] : [];
  });
}

const files = [join(root, 'README.md'), ...markdownFiles(join(root, 'docs'))];
const cases = files.flatMap((file) =>
  extractBlocks(readFileSync(file, 'utf8')).map((block, k) => ({ file: relative(root, file), block, k })),
);

mkdirSync(scratch, { recursive: true });
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('documentation code blocks run', () => {
  test('there are blocks to run', () => {
    expect(cases.length).toBeGreaterThan(10);
  });

  test.each(cases.map((c) => [`${c.file}:${c.block.line}`, c] as const))('%s', async (_name, { file, block, k }) => {
    const { code, expectations } = instrument(block.code);
    const path = join(scratch, `${file.replace(/[\\/.]/g, '_')}_${k}.ts`);
    writeFileSync(path, `${code}\nexport {};\n`);
    const seen = new Map<number, string[]>();
    const g = globalThis as { __docLog?: (line: number, ...args: unknown[]) => void };
    g.__docLog = (line, ...args) => {
      const list = seen.get(line) ?? [];
      list.push(args.map(show).join(' '));
      seen.set(line, list);
    };
    const log = console.log;
    console.log = () => {};
    try {
      await import(path);
    } finally {
      console.log = log;
    }
    for (const { line, expected } of expectations) {
      const printed = seen.get(line);
      expect(printed, `${file}:${block.line + line}: this console.log never ran`).toBeDefined();
      for (const actual of printed!) {
        expect(matches(actual, expected), `${file}:${block.line + line}: printed ${actual}, the comment says ${expected}`).toBe(true);
      }
    }
  });
});
