import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main, memoryIo } from '@tapegrad/cli';
import { expect, test } from 'vitest';

test('tapegrad explain prints the trace and checks ∂L/∂z = ŷ − t', async () => {
  const m = memoryIo();
  expect(await main(['explain'], m.io)).toBe(0);
  const out = m.stdout();
  expect(out).toContain('∂ℓ/∂ŷ = (ŷ − t) / (ŷ·(1 − ŷ))');
  expect(out).toContain('y·(1 − y)');
  expect(out).toContain('They agree element by element');
  const md = memoryIo();
  expect(await main(['explain', '--markdown'], md.io)).toBe(0);
  expect(md.stdout()).toContain('| step | op | rule |');
});

test('tapegrad graph draws the demo network', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tapegrad-graph-'));
  try {
    const m = memoryIo();
    expect(await main(['graph', '--svg', join(dir, 'g.svg'), '--dot', join(dir, 'g.dot'), '--direction', 'TB'], m.io)).toBe(0);
    const svg = readFileSync(join(dir, 'g.svg'), 'utf8');
    expect(svg).toContain('<svg');
    expect(svg).toContain('>Linear<');
    expect(readFileSync(join(dir, 'g.dot'), 'utf8')).toContain('rankdir=TB');
    const dot = memoryIo();
    expect(await main(['graph', '--expand'], dot.io)).toBe(0);
    expect(dot.stdout()).toContain('matmul');
    const bad = memoryIo();
    expect(await main(['graph', '--direction', 'up'], bad.io)).toBe(2);
    expect(bad.stderr()).toContain("--direction must be LR or TB, got 'UP'");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
