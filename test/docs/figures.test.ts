import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { figures } from '../../scripts/docs-figures.ts';

// The pictures and the trace table in docs/ are generated; this fails when they no longer match the code
// (regenerate with `pnpm docs` or `tsx --conditions=source scripts/docs-figures.ts`).
test('generated figures and the derivation trace are up to date', async () => {
  const root = join(import.meta.dirname, '..', '..');
  for (const [rel, content] of await figures()) {
    expect(readFileSync(join(root, rel), 'utf8') === content, `${rel} is out of date; run pnpm docs`).toBe(true);
  }
});
