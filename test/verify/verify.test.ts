import { ge, logsumexp, softmax, type Tensor } from '@tapegrad/core';
import { checkCase, defineDerivation, formatReport, verifyDerivation, type Domain } from '@tapegrad/verify';
import { describe, expect, test } from 'vitest';

const sumOfSquares = defineDerivation({
  name: 'sum of squares',
  inputs: { x: { shape: ['n'] } },
  f: ({ x }) => x.square().sum(),
  grad: ({ x }) => ({ x: x.mul(2) }),
});

// f = mean(x²): the hand gradient forgets the 1/n, so it agrees with the engine only at n = 1.
const missingMean = defineDerivation({
  name: 'mean of squares, missing 1/n',
  inputs: { x: { shape: ['n'] } },
  f: ({ x }) => x.square().mean(),
  grad: ({ x }) => ({ x: x.mul(2) }),
});

// relu's engine subgradient at 0 is 0; this hand derivation picks 1 there (and is right everywhere else).
const reluOtherSubgradient = defineDerivation({
  name: 'relu, subgradient 1 at 0',
  inputs: { x: { shape: ['n'] } },
  f: ({ x }) => x.relu(),
  grad: ({ x }, u) => ({ x: u.mul(ge(x, 0)) }),
});

describe('verdicts', () => {
  test('holds: a correct derivation', () => {
    const r = verifyDerivation(sumOfSquares);
    expect(r.verdict).toBe('holds');
    expect(r.ok).toBe(true);
    expect(r.cases).toBe(200);
    expect(r.counterexample).toBeNull();
    expect(r.worst!.relError).toBeLessThan(1e-12);
  });

  test('wrong: found and shrunk to the smallest failing dimension and simple values', () => {
    const r = verifyDerivation(missingMean);
    expect(r.verdict).toBe('wrong');
    expect(r.ok).toBe(false);
    const c = r.counterexample!;
    expect(c.dims).toEqual({ n: 2 });
    const xs = c.inputs.x as number[];
    for (const v of xs) expect(Number.isInteger(v * 2) && Math.abs(v) <= 2).toBe(true);
    // hand = 2x, engine = numeric = 2x/n
    const w = r.worst!;
    expect(w.hand).toBeCloseTo(2 * xs[w.index]!, 12);
    expect(w.engine).toBeCloseTo(xs[w.index]!, 12);
    expect(w.numeric).toBeCloseTo(xs[w.index]!, 6);
    expect(w.relError).toBeCloseTo(0.5, 12);
  });

  test('not-differentiable: hand and engine differ only at a kink', () => {
    const r = verifyDerivation(reluOtherSubgradient);
    expect(r.verdict).toBe('not-differentiable');
    expect(r.ok).toBe(false);
    expect(r.counterexample!.inputs).toEqual({ x: [0] });
    expect(r.worst).toMatchObject({ hand: 1, engine: 0, numeric: 0.5 });
  });

  test('a wrong derivation is not excused by a kink elsewhere', () => {
    const d = defineDerivation({
      name: 'relu with a factor 2 too many',
      inputs: { x: { shape: ['n'] } },
      f: ({ x }) => x.relu().sum(),
      grad: ({ x }) => ({ x: ge(x, 0).mul(2) }),
    });
    const r = verifyDerivation(d);
    expect(r.verdict).toBe('wrong');
    expect(r.counterexample!.inputs.x).toEqual([0.5]);
  });
});

describe('the search', () => {
  test('is repeatable: the same seed gives the same cases and counterexample', () => {
    const a = verifyDerivation(missingMean, { seed: 5 });
    const b = verifyDerivation(missingMean, { seed: 5 });
    expect({ ...a, ms: 0 }).toEqual({ ...b, ms: 0 });
  });

  test('a hand gradient that ignores the upstream gradient u of a vector output is caught', () => {
    const d = defineDerivation({
      name: 'log-sum-exp, forgetting u',
      inputs: { x: { shape: ['m', 'k'] } },
      f: ({ x }) => logsumexp(x, -1),
      grad: ({ x }) => ({ x: softmax(x, -1) }),
    });
    const r = verifyDerivation(d);
    expect(r.verdict).toBe('wrong');
    expect(r.counterexample!.u).not.toBeNull();
  });

  test('samples each domain within its bounds, with dimension 1 and saturation', () => {
    const seen: Record<string, number[]> = {};
    const domains: Record<string, Domain> = {
      r: 'real', p: 'positive', u: 'unit', q: 'probability', l: { labels: 'k' }, b: { min: -2, max: 3 }, lo: { min: 1 }, hi: { max: -1 },
    };
    const d = defineDerivation({
      name: 'records its inputs',
      inputs: Object.fromEntries(Object.entries(domains).map(([n, domain]) => [n, { shape: ['m', 'k'], domain }])),
      f: (xs) => {
        for (const [n, t] of Object.entries(xs) as [string, Tensor][]) (seen[n] ??= []).push(...t.data, -1e9 * (t.shape[1]! === 1 ? 1 : 0));
        return xs['r']!.sum();
      },
      grad: ({ r }) => ({ r: r.mul(0).add(1) }),
    });
    expect(verifyDerivation(d, { runs: 100 }).verdict).toBe('holds');
    const values = (n: string): number[] => seen[n]!.filter((v) => v !== -1e9 && v !== -0);
    expect(seen['r']!.includes(-1e9)).toBe(true); // k = 1 came up
    expect(values('r').some((v) => Math.abs(v) >= 25)).toBe(true);
    expect(values('r').some((v) => v !== 0 && Math.abs(v) < 1e-4)).toBe(true);
    expect(values('p').every((v) => v > 0)).toBe(true);
    expect(values('u').every((v) => v > 0 && v < 1)).toBe(true);
    expect(values('q').every((v) => v > 0 && v <= 1)).toBe(true);
    expect(values('l').every((v) => Number.isInteger(v) && v >= 0 && v < 4)).toBe(true);
    expect(values('b').every((v) => v > -2 && v < 3)).toBe(true);
    expect(values('lo').every((v) => v > 1)).toBe(true);
    expect(values('hi').every((v) => v < -1)).toBe(true);
  });

  test('probability rows sum to 1', () => {
    const rows: number[] = [];
    const d = defineDerivation({
      name: 'row sums',
      inputs: { p: { shape: ['m', 'k'], domain: 'probability' } },
      f: ({ p }) => {
        rows.push(...p.sum(-1).data);
        return p.sum();
      },
      grad: ({ p }) => ({ p: p.mul(0).add(1) }),
    });
    verifyDerivation(d, { runs: 30 });
    // exactly 1 up to rounding, or 1 ± the finite-difference step while the worst element is probed
    for (const s of rows) expect(s).toBeCloseTo(1, 5);
    expect(rows.filter((s) => Math.abs(s - 1) < 1e-12).length).toBeGreaterThan(rows.length / 2);
  });

  test('edge cases run first and are named in the report', () => {
    const d = defineDerivation({
      name: 'abs with the wrong sign below zero',
      inputs: { x: { shape: ['n'] } },
      f: ({ x }) => x.abs().sum(),
      grad: ({ x }) => ({ x: x.mul(0).add(1) }),
      edgeCases: [{ name: 'negative', values: { x: [-2] } }],
    });
    const r = verifyDerivation(d);
    expect(r.verdict).toBe('wrong');
    expect(r.cases).toBe(1);
    expect(r.counterexample!.edgeCase).toBe('negative');
    expect(formatReport(r)).toMatch(/edge case +negative/);
  });

  test('a hand gradient of the wrong shape is wrong, with the shapes named', () => {
    const d = defineDerivation({
      name: 'bias gradient not summed over the batch',
      inputs: { x: { shape: ['m', 'k'] }, b: { shape: ['k'] } },
      f: ({ x, b }) => x.add(b).square().sum(),
      grad: ({ x, b }) => ({ b: x.add(b).mul(2) }),
    });
    const r = verifyDerivation(d);
    expect(r.verdict).toBe('wrong');
    expect(r.counterexample!.dims).toEqual({ m: 1, k: 1 });
    expect(r.counterexample!.problem).toMatchInlineSnapshot(`"the hand gradient of b has shape [1, 1], the input has shape [1]"`);
  });

  test('float32 derivations run in float32 with float32 tolerances (finite differences stay float64)', () => {
    const dtypes = new Set<string>();
    const d = defineDerivation({
      name: 'tanh in float32',
      inputs: { x: { shape: ['n'] } },
      dtype: 'float32',
      f: ({ x }) => {
        dtypes.add(x.dtype);
        return x.tanh();
      },
      grad: ({ x }, u) => ({ x: u.mul(x.tanh().square().neg().add(1)) }),
    });
    expect(verifyDerivation(d, { runs: 50 }).verdict).toBe('holds');
    expect([...dtypes].sort()).toEqual(['float32', 'float64']);
  });

  test('runs a few hundred cases of a small function quickly', () => {
    const r = verifyDerivation(sumOfSquares, { runs: 300 });
    expect(r.cases).toBe(300);
    expect(r.ms).toBeGreaterThan(0);
  });
});

describe('checkCase and the snippet', () => {
  test('checkCase reproduces a counterexample', () => {
    const r = verifyDerivation(missingMean);
    const again = checkCase(missingMean, r.counterexample!.inputs);
    expect(again.status).toBe('wrong');
    expect(again.worst).toEqual(r.worst);
    expect(checkCase(missingMean, { x: [3] }).status).toBe('agree');
  });

  test('the snippet imports the derivation from the given source and passes every input', () => {
    const r = verifyDerivation(missingMean, { source: { path: './mean.ts', exportName: 'meanSquares' } });
    expect(r.counterexample!.snippet).toBe(
      [
        `import { checkCase } from '@tapegrad/verify';`,
        `import { meanSquares as derivation } from './mean.ts';`,
        '',
        `const result = checkCase(derivation, {\n  x: ${JSON.stringify(r.counterexample!.inputs.x).replace(/,/g, ', ')},\n});`,
        'console.log(result.status, result.worst);',
      ].join('\n'),
    );
  });
});

describe('bad specs are typed errors', () => {
  test('messages name the derivation, the input and the problem', () => {
    const f = ({ x }: { x: Tensor }): Tensor => x;
    expect(() => defineDerivation({ name: 'a', inputs: {}, f, grad: () => ({}) } as never)).toThrowErrorMatchingInlineSnapshot(`[ArgumentError: defineDerivation: 'a' needs at least one input]`);
    expect(() => defineDerivation({ name: 'b', inputs: { x: { shape: ['n', 0] } }, f, grad: () => ({}) })).toThrowErrorMatchingInlineSnapshot(`[ArgumentError: defineDerivation: input x of 'b': a dimension must be a name or an integer ≥ 1, got 0]`);
    expect(() => defineDerivation({ name: 'c', inputs: { x: { shape: ['n'], domain: { labels: 'k' } } }, f, grad: () => ({}) })).toThrowErrorMatchingInlineSnapshot(`[ArgumentError: defineDerivation: input x of 'c': labels must name a dimension or be an integer ≥ 1, got "k"]`);
    expect(() => defineDerivation({ name: 'd', inputs: { x: { shape: ['n'], domain: 'complex' as never } }, f, grad: () => ({}) })).toThrowErrorMatchingInlineSnapshot(`[ArgumentError: defineDerivation: input x of 'd': domain must be 'real', 'positive', 'unit', 'probability', { labels } or { min, max } with min < max, got "complex"]`);
    expect(() => defineDerivation({ name: 'e', inputs: { x: { shape: ['n'] } }, dims: { m: 2 }, f, grad: () => ({}) })).toThrowErrorMatchingInlineSnapshot(`[ArgumentError: defineDerivation: dims of 'e' names m, which no input uses (dimensions: n)]`);
    expect(() => checkCase(sumOfSquares, { x: [[1]] })).toThrowErrorMatchingInlineSnapshot(`[ArgumentError: checkCase: input x of 'sum of squares' must have 1 dimension(s) [n], got shape [1, 1]]`);
  });
});
