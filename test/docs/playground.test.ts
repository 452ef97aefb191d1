import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { EXAMPLES } from '../../docs/playground/examples.ts';
import { formatArgs } from '../../docs/playground/format.ts';
import { decodeCode, encodeCode } from '../../docs/playground/url-code.ts';
import { tsBlocks } from '../../scripts/build-playground.ts';
import { tensor, value } from '@tapegrad/core';

const scratch = join(import.meta.dirname, '.playground');
mkdirSync(scratch, { recursive: true });
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Runs a starter example in Node with a stand-in for the page's `playground` object. */
async function runExample(id: string, sliders: Record<string, number> = {}): Promise<{ lines: string[]; figures: string[]; error: Error | null }> {
  const ex = EXAMPLES.find((e) => e.id === id)!;
  const file = join(scratch, `${id}-${Object.values(sliders).join('_')}.ts`);
  writeFileSync(file, `${ex.code}\nexport {};\n`);
  const lines: string[] = [];
  const figures: string[] = [];
  const g = globalThis as { playground?: unknown };
  g.playground = {
    slider: (name: string, v: number) => sliders[name] ?? v,
    label: () => {},
    display: (svg: string) => figures.push(svg),
  };
  const log = console.log;
  console.log = (...args: unknown[]) => lines.push(formatArgs(args));
  let error: Error | null = null;
  try {
    await import(file);
  } catch (e) {
    error = e as Error;
  } finally {
    console.log = log;
  }
  return { lines, figures, error };
}

describe('playground starter examples', () => {
  test.each([[0.5, 1], [-2, 0], [3, 0.3]])('seed neuron at z = %d, t = %d prints ∂L/∂z = ŷ − t', async (z, t) => {
    const { lines, error } = await runExample('seed-neuron', { z, t });
    expect(error).toBeNull();
    const at = (label: string) => Number(lines.find((l) => l.startsWith(label))!.split('=')[1]);
    expect(at('ŷ ')).toBeCloseTo(1 / (1 + Math.exp(-z)), 6);
    expect(at('∂L/∂z')).toBe(at('ŷ − t'));
  });

  test('the broken custom op is caught by gradcheck, with a typed error', async () => {
    const { lines, error } = await runExample('broken-op');
    expect(lines[0]).toBe('gradcheck ok: false');
    expect(error?.name).toBe('GradCheckError');
  });

  test('the Value MLP learns the moons and draws its decision boundary', async () => {
    const { lines, figures, error } = await runExample('value-mlp');
    expect(error).toBeNull();
    const acc = Number(/accuracy (\d+)%/.exec(lines.at(-1)!)![1]);
    expect(acc).toBeGreaterThanOrEqual(90);
    expect(figures[0]).toMatch(/^<svg[\s\S]*<rect[\s\S]*<circle/);
  }, 60_000);

  test('the tensor MLP trains on breast cancer and plots its loss curve', async () => {
    const { lines, figures, error } = await runExample('tensor-mlp');
    expect(error).toBeNull();
    expect(lines[0]).toMatch(/^after 20 epochs: train loss 0\.\d+, test loss 0\.\d+$/);
    expect(figures[0]).toContain('series-test');
  }, 60_000);
});

describe('playground helpers', () => {
  test('code survives the URL round trip, any Unicode included', () => {
    const code = "const ŷ = 1; // ∂L/∂z = ŷ − t 🙂\n\tconsole.log(ŷ);";
    expect(encodeCode(code)).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCode(encodeCode(code))).toBe(code);
    expect(decodeCode('%%%')).toBeNull();
  });

  test('console output prints tensors as nested arrays, as the docs do', () => {
    expect(formatArgs(['x', tensor([[1, 2], [3, 4]]), [1, 'a'], { a: 1 }, value(2), null])).toBe(
      'x [[1, 2], [3, 4]] [1, "a"] { a: 1 } Value(data=2, grad=0) null',
    );
  });

  test('the link builder finds the same TypeScript blocks as the docs test', () => {
    expect(tsBlocks('a\n```ts\nx\n```\n```sh\ny\n```\n~~~typescript\nz\n~~~\n')).toEqual(['x', 'z']);
  });
});
