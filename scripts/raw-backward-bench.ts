/**
 * Does a hand-written raw backward pay? Times the backward of one recorded op (median of repeated passes
 * over the same graph) three ways: the op as shipped (its hand-written raw form where it has one, else its
 * differentiable rule), a generic per-element loop derived from the op's own number derivative (what
 * `defineUnary`/`defineBinary` used to attach to every elementwise op; reproduced here as `loopRule`), and
 * the differentiable rule (the raw form hidden; what runs under createGraph, here without recording).
 * Each form is warmed up first (V8 optimises a loop only after some passes, so cold passes measure the
 * interpreter), then the three are timed in interleaved rounds.
 * Sizes: 256×256 (W1 big's hidden layers, 65536 elements) and 512×64 (W1 small's first hidden layer);
 * matmul also in W1 big's first-layer shape and W6's batched linear layers (a batch times one matrix). The machine is shared: quote the medians with `uptime`.
 * Run: pnpm exec tsx --conditions=source scripts/raw-backward-bench.ts [rounds] [only: an op-name prefix, or generic]
 */
import {
  add, binaryCrossEntropyWithLogits, rand, div, exp, log, matmul, mul, neg, randn, relu, sigmoid, sub, sum,
  tanh, Tensor, type BackwardContext, type BinaryFn, type ElementwiseOp, type UnaryFn,
} from '@tapegrad/core';
import { computeGrads } from '../packages/core/src/autograd/engine.ts';
import { broadcastIndex, sameShape } from '../packages/core/src/base/shape.ts';
import { scratchFor, scratchLike } from '../packages/core/src/graph/grad-pool.ts';
import { ELEMENTWISE, OPS } from '../packages/core/src/ops/index.ts';

const rounds = Number(process.argv[2] ?? 9);
const only = process.argv[3];
const reps = 15;
const warmup = 80;

type Graph = { y: Tensor; xs: Tensor[] };
type Mode = 'shipped' | 'generic' | 'differentiable';

/**
 * The generic raw loop: dx = dy·f′(x, y) element by element, calling the op's derivative on numbers
 * (0 where dy is 0), into pooled scratch, with broadcasting by index tables.
 */
function loopRule(op: ElementwiseOp): (ctx: BackwardContext) => (Tensor | null)[] {
  return ({ inputs, output: y, dy }) => {
    const g = dy.data;
    const yd = y.data;
    const n = g.length;
    const [a, b] = inputs;
    if (op.arity === 1) {
      const xd = a!.data;
      const derivative = op.derivative!;
      const out = scratchFor(dy);
      for (let i = 0; i < n; i++) {
        const gi = g[i]!;
        out[i] = gi === 0 ? 0 : gi * (derivative(xd[i]!, yd[i]!) as number);
      }
      return [Tensor.fromData(out, y.shape, y.dtype)];
    }
    const ia = sameShape(a!.shape, y.shape) ? null : broadcastIndex(y.shape, a!.shape);
    const ib = sameShape(b!.shape, y.shape) ? null : broadcastIndex(y.shape, b!.shape);
    const ad = a!.data;
    const bd = b!.data;
    return [a!, b!].map((x, k) => {
      if (!x.requiresGrad) return null;
      const partial = k === 0 ? op.da : op.db!;
      const out = scratchLike(g, n);
      for (let i = 0; i < n; i++) {
        const gi = g[i]!;
        out[i] = gi === 0 ? 0 : gi * (partial(ad[ia === null ? i : ia[i]!]!, bd[ib === null ? i : ib[i]!]!, yd[i]!) as number);
      }
      return Tensor.fromData(out, y.shape, y.dtype);
    });
  };
}

/** A runner of backward passes over one recorded op, as shipped, through the generic loop, or with the raw rule hidden. */
function runner(g: Graph, mode: Mode): (reps: number) => number {
  const op = g.y.node!.op as ElementwiseOp & { rawBackward?: unknown };
  const seed = randn(g.y.shape, { seed: 3 });
  const swap = mode === 'shipped' ? null : mode === 'generic' ? loopRule(op) : undefined;
  return (n) => {
    const saved = op.rawBackward;
    if (swap !== null) Object.defineProperty(op, 'rawBackward', { value: swap, configurable: true, writable: true });
    try {
      const ms: number[] = [];
      for (let r = 0; r < n; r++) {
        const t0 = performance.now();
        computeGrads([g.y], [seed], { inputs: g.xs, retainGraph: true });
        ms.push(performance.now() - t0);
      }
      return median(ms);
    } finally {
      if (swap !== null) Object.defineProperty(op, 'rawBackward', { value: saved, configurable: true, writable: true });
    }
  };
}

const median = (a: number[]): number => [...a].sort((p, q) => p - q)[a.length >> 1]!;

const x = (shape: number[], seed: number, positive = false): Tensor => {
  const t = randn(shape, { seed, requiresGrad: true });
  if (positive) for (let i = 0; i < t.size; i++) t.data[i] = Math.abs(t.data[i]!) + 0.5;
  return t;
};

type Case = { name: string; make: () => Graph; isElementwise?: boolean };
const unary = (name: string, fn: UnaryFn, shape: number[], positive = false): Case => ({
  name: `${name} ${shape.join('×')}`, isElementwise: true, make: () => { const a = x(shape, 1, positive); return { y: fn(a), xs: [a] }; },
});
const binary = (name: string, fn: BinaryFn, shape: number[], bShape = shape, positive = false): Case => ({
  name: `${name} ${shape.join('×')}${bShape === shape ? '' : ` + ${bShape.join('×')}`}`,
  isElementwise: true,
  make: () => { const a = x(shape, 1); const b = x(bShape, 2, positive); return { y: fn(a, b), xs: [a, b] }; },
});
const big = [256, 256];
const small = [512, 64];
const cases: Case[] = [];
for (const s of [big, small]) {
  cases.push(
    binary('add', add, s), binary('add', add, s, [s[1]!]), binary('sub', sub, s), binary('mul', mul, s), binary('div', div, s, s, true),
    unary('neg', neg, s), unary('exp', exp, s), unary('log', log, s, true), unary('relu', relu, s), unary('sigmoid', sigmoid, s), unary('tanh', tanh, s),
    { name: `bceWithLogits ${s.join('×')}`, isElementwise: true, make: () => { const z = x(s, 1); const t = rand(s, { seed: 4 }); return { y: binaryCrossEntropyWithLogits(z, t, { reduction: 'none' }), xs: [z] }; } },
    { name: `sum axis 0 ${s.join('×')}`, make: () => { const a = x(s, 1); return { y: sum(a, 0), xs: [a] }; } },
    { name: `sum all ${s.join('×')}`, make: () => { const a = x(s, 1); return { y: sum(a), xs: [a] }; } },
  );
}
cases.push(
  { name: 'matmul 256×256·256×256', make: () => { const a = x(big, 1); const b = x(big, 5); return { y: matmul(a, b), xs: [a, b] }; } },
  { name: 'matmul 256×784·(256×784)ᵀ', make: () => { const a = x([256, 784], 1); const w = x([256, 784], 5); return { y: matmul(a, w, { transposeB: true }), xs: [a, w] }; } },
  { name: 'matmul 32×16×64·(256×64)ᵀ', make: () => { const a = x([32, 16, 64], 1); const w = x([256, 64], 5); return { y: matmul(a, w, { transposeB: true }), xs: [a, w] }; } },
  { name: 'matmul 32×16×256·(64×256)ᵀ', make: () => { const a = x([32, 16, 256], 1); const w = x([64, 256], 5); return { y: matmul(a, w, { transposeB: true }), xs: [a, w] }; } },
  { name: 'matmul 512×30·(64×30)ᵀ', make: () => { const a = x([512, 30], 1); const w = x([64, 30], 5); return { y: matmul(a, w, { transposeB: true }), xs: [a, w] }; } },
);

function report(name: string, runs: [Mode, (n: number) => number][]): void {
  for (const [, run] of runs) run(warmup);
  const ms = new Map<Mode, number[]>(runs.map(([m]) => [m, []]));
  for (let r = 0; r < rounds; r++) for (const [m, run] of runs) ms.get(m)!.push(run(reps));
  const med = (m: Mode): number => (ms.has(m) ? median(ms.get(m)!) : NaN);
  const h = med('shipped');
  const gm = med('generic');
  const d = med('differentiable');
  const base = Number.isNaN(h) ? gm : h;
  const col = (v: number, w: number): string => (Number.isNaN(v) ? '—' : v.toFixed(3)).padStart(w);
  const ratio = (v: number, w: number): string => (Number.isNaN(v) || v === base ? '—' : `${(v / base).toFixed(2)}×`).padStart(w);
  console.log(`${name.padEnd(33)} ${col(h, 9)} ${col(gm, 9)} ${col(d, 15)} ${ratio(gm, 16)} ${ratio(d, 13)}`);
}

if (only !== 'generic') {
// `only` (a name prefix such as relu or matmul) picks cases of this table; 'generic' skips to the next.
console.log(`backward of one op: as shipped vs generic raw loop vs differentiable rule, float64, median ms of ${rounds}×${reps} passes after ${warmup} warm-up passes`);
console.log('op                                 shipped   generic  differentiable  generic/shipped  diff/shipped');
for (const c of cases.filter((k) => k.name.startsWith(only ?? ''))) {
  const runs: [Mode, (n: number) => number][] = [['shipped', runner(c.make(), 'shipped')], ['differentiable', runner(c.make(), 'differentiable')]];
  if (c.isElementwise === true) runs.push(['generic', runner(c.make(), 'generic')]);
  report(c.name, runs);
}
}

// Every differentiable elementwise op, through the generic raw loop vs its differentiable rule (inputs > 0.5).
if (only === undefined || only === 'generic') {
console.log(`\nelementwise ops: generic raw loop vs differentiable rule, ${big.join('×')} float64`);
console.log('op                                 shipped   generic  differentiable                   diff/generic');
for (const op of ELEMENTWISE) {
  if (op.isNondifferentiable) continue;
  const f = OPS[op.name] as unknown as (...xs: Tensor[]) => Tensor;
  const make = (): Graph => {
    const xs = op.arity === 1 ? [x(big, 1, true)] : [x(big, 1, true), x(big, 2, true)];
    return { y: f(...xs), xs };
  };
  report(op.name, [['generic', runner(make(), 'generic')], ['differentiable', runner(make(), 'differentiable')]]);
}
}
