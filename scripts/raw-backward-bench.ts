/**
 * Does a hand-written raw backward pay? Times the backward of one recorded op (median of repeated passes
 * over the same graph) three ways: the op as shipped (its hand-written raw form where it has one), the
 * generic raw loop `defineUnary`/`defineBinary` derive from the op's own derivative (for elementwise ops:
 * the op redefined from its number forward and derivative only), and the differentiable rule (what runs
 * under createGraph, here without recording). Each form is warmed up first (V8 optimises a loop only after
 * some passes, so cold passes measure the interpreter), then the three are timed in interleaved rounds.
 * Sizes: 256×256 (W1 big's hidden layers, 65536 elements) and 512×64 (W1 small's first hidden layer);
 * matmul also in W1 big's first-layer shape. The machine is shared: quote the medians with `uptime`.
 * Run: pnpm exec tsx --conditions=source scripts/raw-backward-bench.ts [rounds]
 */
import {
  add, binaryCrossEntropyWithLogits, rand, defineBinary, defineUnary, div, exp, log, matmul, mul, neg, randn, relu, sigmoid, sub, sum,
  tanh, type BinaryFn, type ElementwiseOp, type Tensor, type UnaryFn,
} from '@tapegrad/core';
import { computeGrads } from '../packages/core/src/autograd/engine.ts';
import { ELEMENTWISE } from '../packages/core/src/ops/index.ts';

const rounds = Number(process.argv[2] ?? 9);
const only = process.argv[3];
const reps = 15;
const warmup = 80;

type Graph = { y: Tensor; xs: Tensor[] };
type Mode = 'shipped' | 'generic' | 'differentiable';

/** A runner of backward passes over one recorded op, with the raw rule on or hidden. */
function runner(g: Graph, hideRaw: boolean): (reps: number) => number {
  const op = g.y.node!.op as { rawBackward?: unknown };
  const seed = randn(g.y.shape, { seed: 3 });
  return (n) => {
    const saved = op.rawBackward;
    if (hideRaw) Object.defineProperty(op, 'rawBackward', { value: undefined, configurable: true, writable: true });
    try {
      const ms: number[] = [];
      for (let r = 0; r < n; r++) {
        const t0 = performance.now();
        computeGrads([g.y], [seed], { inputs: g.xs, retainGraph: true });
        ms.push(performance.now() - t0);
      }
      return median(ms);
    } finally {
      if (hideRaw) Object.defineProperty(op, 'rawBackward', { value: saved, configurable: true, writable: true });
    }
  };
}

const median = (a: number[]): number => [...a].sort((p, q) => p - q)[a.length >> 1]!;

const x = (shape: number[], seed: number, positive = false): Tensor => {
  const t = randn(shape, { seed, requiresGrad: true });
  if (positive) for (let i = 0; i < t.size; i++) t.data[i] = Math.abs(t.data[i]!) + 0.5;
  return t;
};

/** The op redefined from its number forward and derivatives only: the generic raw loop. */
function generic(f: UnaryFn | BinaryFn): UnaryFn | BinaryFn {
  const op = (f as { op: ElementwiseOp }).op;
  if (op.arity === 1) return defineUnary({ name: `${op.name}-generic`, rule: op.rule, forward: op.forward, derivative: op.derivative! });
  return defineBinary({ name: `${op.name}-generic`, rule: op.rule, forward: op.forward, da: op.da, db: op.db! });
}

type Case = { name: string; make: (f?: UnaryFn | BinaryFn) => Graph; fn?: UnaryFn | BinaryFn };
const unary = (name: string, fn: UnaryFn, shape: number[], positive = false): Case => ({
  name: `${name} ${shape.join('×')}`, fn, make: (f = fn) => { const a = x(shape, 1, positive); return { y: (f as UnaryFn)(a) as Tensor, xs: [a] }; },
});
const binary = (name: string, fn: BinaryFn, shape: number[], bShape = shape, positive = false): Case => ({
  name: `${name} ${shape.join('×')}${bShape === shape ? '' : ` + ${bShape.join('×')}`}`,
  fn,
  make: (f = fn) => { const a = x(shape, 1); const b = x(bShape, 2, positive); return { y: (f as BinaryFn)(a, b) as Tensor, xs: [a, b] }; },
});
const big = [256, 256];
const small = [512, 64];
const cases: Case[] = [];
for (const s of [big, small]) {
  cases.push(
    binary('add', add, s), binary('add', add, s, [s[1]!]), binary('sub', sub, s), binary('mul', mul, s), binary('div', div, s, s, true),
    unary('neg', neg, s), unary('exp', exp, s), unary('log', log, s, true), unary('relu', relu, s), unary('sigmoid', sigmoid, s), unary('tanh', tanh, s),
    { name: `bceWithLogits ${s.join('×')}`, make: () => { const z = x(s, 1); const t = rand(s, { seed: 4 }); return { y: binaryCrossEntropyWithLogits(z, t, { reduction: 'none' }), xs: [z] }; } },
    { name: `sum axis 0 ${s.join('×')}`, make: () => { const a = x(s, 1); return { y: sum(a, 0), xs: [a] }; } },
    { name: `sum all ${s.join('×')}`, make: () => { const a = x(s, 1); return { y: sum(a), xs: [a] }; } },
  );
}
cases.push(
  { name: 'matmul 256×256·256×256', make: () => { const a = x(big, 1); const b = x(big, 5); return { y: matmul(a, b), xs: [a, b] }; } },
  { name: 'matmul 256×784·(256×784)ᵀ', make: () => { const a = x([256, 784], 1); const w = x([256, 784], 5); return { y: matmul(a, w, { transposeB: true }), xs: [a, w] }; } },
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
console.log(`backward of one op: as shipped vs generic raw loop vs differentiable rule, float64, median ms of ${rounds}×${reps} passes after ${warmup} warm-up passes`);
console.log('op                                 shipped   generic  differentiable  generic/shipped  diff/shipped');
for (const c of cases) {
  const g = c.fn === undefined ? undefined : generic(c.fn);
  const runs: [Mode, (n: number) => number][] = [['shipped', runner(c.make(), false)], ['differentiable', runner(c.make(), true)]];
  if (g !== undefined) runs.push(['generic', runner(c.make(g), false)]);
  report(c.name, runs);
}
}

// Every differentiable elementwise op, through the generic raw loop vs its differentiable rule (inputs > 0.5).
console.log(`\nelementwise ops: generic raw loop vs differentiable rule, ${big.join('×')} float64`);
console.log('op                                 shipped   generic  differentiable                   diff/generic');
for (const op of ELEMENTWISE) {
  if (op.isNondifferentiable) continue;
  const f = generic(Object.assign(() => 0, { op }) as unknown as UnaryFn);
  const make = (): Graph => {
    if (op.arity === 1) { const a = x(big, 1, true); return { y: (f as UnaryFn)(a) as Tensor, xs: [a] }; }
    const a = x(big, 1, true);
    const b = x(big, 2, true);
    return { y: (f as BinaryFn)(a, b) as Tensor, xs: [a, b] };
  };
  report(op.name, [['generic', runner(make(), false)], ['differentiable', runner(make(), true)]]);
}
