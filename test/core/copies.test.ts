import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as core from '@tapegrad/core';
import { VERSION } from '../../packages/core/src/base/brand.ts';

// A second copy of the library in the same process, as an app gets when its own @tapegrad/core and a
// dependency's differ: the source bundled into one file, so it shares no module with the first copy.
let other: typeof core;
const dir = mkdtempSync(join(tmpdir(), 'tapegrad-copy-'));

beforeAll(async () => {
  const file = join(dir, 'other-core.mjs');
  await build({
    entryPoints: [fileURLToPath(new URL('../../packages/core/src/index.ts', import.meta.url))],
    bundle: true, format: 'esm', platform: 'neutral', outfile: file, logLevel: 'silent',
  });
  other = (await import(pathToFileURL(file).href)) as typeof core;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The message with both copies' locations replaced, so the snapshot does not depend on paths. */
function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return `${(e as Error).name}: ${(e as Error).message}`.replace(/ at [^\s,);]+/g, ' at <url>');
  }
  return 'no error';
}

describe('two copies of @tapegrad/core in one process', () => {
  it('a Tensor of the other copy fails at the first mixed call, naming both copies and versions', () => {
    const mine = core.tensor([[1, 2], [3, 4]]);
    const theirs = other.tensor([[1, 0], [0, 1]]);
    expect(messageOf(() => core.matmul(mine, theirs as unknown as core.Tensor))).toMatchInlineSnapshot(`"ArgumentError: matmul: b must be a Tensor, got a Tensor from another copy of @tapegrad/core (0.1.0 at <url>), while this copy is 0.1.0 at <url>; objects cannot cross copies: install a single copy (npm dedupe, or matching version ranges)"`);
    expect(messageOf(() => other.add(theirs, mine as unknown as core.Tensor))).toContain('from another copy of @tapegrad/core');
    // Recording stops at the error: nothing half-recorded, and the grad mode of each copy is its own.
    expect(() => core.noGrad(() => core.mul(mine, theirs as unknown as core.Tensor))).toThrow(core.ArgumentError);
  });

  it('grad mode is one for all copies: the app\'s noGrad stops the other copy recording too', () => {
    const w = other.tensor([1, 2], { requiresGrad: true });
    expect(core.noGrad(() => other.mul(w, w)).requiresGrad).toBe(false);
    expect(other.noGrad(() => core.enableGrad(() => other.mul(w, w))).requiresGrad).toBe(true);
    expect(other.mul(w, w).requiresGrad).toBe(true);
    expect(core.noGrad(() => other.value(2).mul(3).requiresGrad)).toBe(false);
  });

  it('a Value of the other copy gets a message that says so, not "must be a Value, got Value"', () => {
    const mine = core.value(2);
    const theirs = other.value(3);
    expect(messageOf(() => mine.add(theirs as unknown as core.Value))).toMatchInlineSnapshot(`"ArgumentError: add: b must be a Value or a number, got a Value from another copy of @tapegrad/core (0.1.0 at <url>), while this copy is 0.1.0 at <url>; objects cannot cross copies: install a single copy (npm dedupe, or matching version ranges)"`);
  });

  it('the version in the brand is the package version', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../packages/core/package.json', import.meta.url), 'utf8')) as { version: string };
    expect(VERSION).toBe(pkg.version);
  });
});
