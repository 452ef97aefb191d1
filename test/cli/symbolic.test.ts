import { main, memoryIo } from '@tapegrad/cli';
import { derive, parseExpression, prove } from '@tapegrad/core';
import { describe, expect, test } from 'vitest';

const run = async (...argv: string[]): Promise<{ code: number; out: string; err: string }> => {
  const m = memoryIo();
  const code = await main(argv, m.io);
  return { code, out: m.stdout(), err: m.stderr() };
};

describe('tapegrad derive', () => {
  // Each printed derivative is parsed back and proved equal to derive's own (which derive checks against the numeric engine).
  test.each([
    ['binaryCrossEntropy(sigmoid(z), t)', 'z', 'sigmoid(z) - t'],
    ['mseLoss(tanh(z), t)', 'z', '2*(tanh(z) - t)*(1 - tanh(z)^2)'],
    ['log(1 + exp(z))', 'z', 'sigmoid(z)'],
    ['logsumexp(x)', 'x', 'softmax(x)'],
    ['crossEntropy(z, t)', 'z', 'softmax(z) - t'],
  ])("derive '%s' --wrt %s prints %s", async (expr, wrt, want) => {
    const r = await run('derive', expr, '--wrt', wrt);
    expect(r.code).toBe(0);
    expect(r.out).toBe(`${want}\n`);
    const d = derive(expr, wrt);
    expect(d.engineMaxDiff).toBeLessThan(1e-12);
    const isVector = d.raw.shape.length > 0;
    const back = parseExpression(r.out.trim(), isVector ? ['x', 'z', 't'] : []);
    expect(prove(back.expr, d.raw, { sumsToOne: d.assumptions.length > 0 ? ['t'] : [] }).status).toBe('equal');
  });

  test('--json gives expression, latex and the steps with their rules; --latex prints LaTeX', async () => {
    const r = await run('derive', 'binaryCrossEntropy(sigmoid(z), t)', '--wrt', 'z', '--json');
    const j = JSON.parse(r.out) as { expression: string; latex: string; steps: { op: string; rule: string; result: string }[]; proof: { status: string } };
    expect(j.expression).toBe('sigmoid(z) - t');
    expect(j.latex).toBe('\\sigma\\left(z\\right) - t');
    expect(j.steps.map((s) => s.op)).toEqual(['binaryCrossEntropy', 'sigmoid']);
    expect(j.steps[1]!.rule).toContain('y·(1 − y)');
    expect(j.proof.status).toBe('equal');
    const l = await run('derive', 'mseLoss(tanh(z), t)', '--wrt=z', '--latex');
    expect(l.out).toBe('2 \\cdot \\left(\\tanh\\left(z\\right) - t\\right) \\cdot \\left(1 - \\tanh\\left(z\\right)^{2}\\right)\n');
  });

  test('a bad expression or a missing --wrt is a usage error (exit 2), not a crash', async () => {
    const r = await run('derive', 'sigmoid(z', '--wrt', 'z');
    expect(r.code).toBe(2);
    expect(r.err).toMatchInlineSnapshot(`
      "tapegrad: derive: expected ')', got the end at position 10 of 'sigmoid(z'. Run 'tapegrad --help' for usage.
      "
    `);
    expect((await run('derive', 'sigmoid(z)')).err).toContain('--wrt VAR is needed');
  });
});

test('tapegrad explain --symbolic: each trace ends in its proved identity, then the numeric trace', async () => {
  const r = await run('explain', '--symbolic');
  expect(r.code).toBe(0);
  expect(r.out).toContain('claim     ∂L/∂z = ŷ − t: proved: the canonical forms are equal');
  expect(r.out).toContain('claim     ∂L/∂z = (ŷ − t) / m: proved');
  expect(r.out).toContain('claim     ∂L/∂z = p − t: proved');
  expect(r.out).toContain('(using Σ t = 1)');
  expect(r.out).toContain('claim     ∂L/∂z = 2·(ŷ − t)·(1 − ŷ²): proved');
  expect(r.out).toContain('local     ∂ŷ/∂z = ŷ·(1 − ŷ)');
  expect(r.out).toContain('They agree element by element');
});
