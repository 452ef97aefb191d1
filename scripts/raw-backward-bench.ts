/**
 * Does each hand-written raw backward pay? For the 13 ops that carry one, times the backward of one
 * recorded op (median of repeated passes over the same graph) three ways: the op as shipped (its
 * hand-written raw form), the generic raw loop `defineUnary`/`defineBinary` derive from the op's own
 * derivative (for elementwise ops: the op redefined without its raw form), and the differentiable rule
 * (what runs under createGraph, here without recording). Interleaved rounds, medians; the machine is noisy.
 * Run: pnpm exec tsx --conditions=source scripts/raw-backward-bench.ts [elements]
 */
import {
  add, binaryCrossEntropyWithLogits, rand, defineBinary, defineUnary, div, exp, log, matmul, mul, neg, randn, relu, sigmoid, sub, sum,
  tanh, type BinaryFn, type ElementwiseOp, type OpDef, type Tensor, type UnaryFn,
} from '@tapegrad/core';
import { computeGrads } from '../packages/core/src/autograd/engine.ts';

const n = Number(process.argv[2] ?? 65536);
const rows = 256;
const cols = n / rows;

/** Median ms of `reps` backward passes over one recorded op, with the raw rule on or hidden. */
function time(make: () => { y: Tensor; xs: Tensor[] }, hideRaw: boolean, reps: number): number {
  const { y, xs } = make();
  const op = y.node!.op as { rawBackward?: unknown };
  const saved = op.rawBackward;
  if (hideRaw) Object.defineProperty(op, 'rawBackward', { value: undefined, configurable: true, writable: true });
  try {
    const seed = randn(y.shape, { seed: 3 });
    const ms: number[] = [];
    for (let r = 0; r < reps; r++) {
      const t0 = performance.now();
      computeGrads([y], [seed], { inputs: xs, retainGraph: true });
      ms.push(performance.now() - t0);
    }
    ms.sort((a, b) => a - b);
    return ms[ms.length >> 1]!;
  } finally {
    if (hideRaw) Object.defineProperty(op, 'rawBackward', { value: saved, configurable: true, writable: true });
  }
}

const x = (seed: number, positive = false): Tensor => {
  const t = randn([rows, cols], { seed, requiresGrad: true });
  if (positive) for (let i = 0; i < t.size; i++) t.data[i] = Math.abs(t.data[i]!) + 0.5;
  return t;
};

function generic(f: UnaryFn | BinaryFn): UnaryFn | BinaryFn {
  const op = (f as { op: ElementwiseOp }).op;
  if (op.arity === 1) return defineUnary({ name: `${op.name}-generic`, rule: op.rule, forward: op.forward, derivative: op.derivative! });
  return defineBinary({ name: `${op.name}-generic`, rule: op.rule, forward: op.forward, da: op.da, db: op.db! });
}

type Case = { name: string; make: (fn?: UnaryFn | BinaryFn) => { y: Tensor; xs: Tensor[] }; fn?: UnaryFn | BinaryFn };
const unary = (name: string, fn: UnaryFn, positive = false): Case => ({
  name, fn, make: (f = fn) => { const a = x(1, positive); return { y: (f as UnaryFn)(a) as Tensor, xs: [a] }; },
});
const binary = (name: string, fn: BinaryFn, positive = false): Case => ({
  name, fn, make: (f = fn) => { const a = x(1); const b = x(2, positive); return { y: (f as BinaryFn)(a, b) as Tensor, xs: [a, b] }; },
});
const cases: Case[] = [
  binary('add', add), binary('sub', sub), binary('mul', mul), binary('div', div, true),
  unary('neg', neg), unary('exp', exp), unary('log', log, true), unary('relu', relu), unary('sigmoid', sigmoid), unary('tanh', tanh),
  { name: 'binaryCrossEntropyWithLogits', make: () => { const z = x(1); const t = rand([rows, cols], { seed: 4 }); return { y: binaryCrossEntropyWithLogits(z, t, { reduction: 'none' }), xs: [z] }; } },
  { name: 'sum (axis 0)', make: () => { const a = x(1); return { y: sum(a, 0), xs: [a] }; } },
  { name: 'matmul 256×k·k×256', make: () => { const a = x(1); const b = randn([cols, 256], { seed: 5, requiresGrad: true }); return { y: matmul(a, b), xs: [a, b] }; } },
];

const rounds = 9;
const reps = 15;
console.log(`raw backward vs generic raw loop vs differentiable rule, ${rows}×${cols} float64 (${n} elements), median ms of ${rounds}×${reps} passes`);
console.log('op                             hand raw   generic   differentiable   generic/raw  diff/raw');
for (const c of cases) {
  const hand: number[] = [];
  const gen: number[] = [];
  const dif: number[] = [];
  const g = c.fn === undefined ? undefined : generic(c.fn);
  for (let r = 0; r < rounds; r++) {
    hand.push(time(() => c.make(), false, reps));
    if (g !== undefined) gen.push(time(() => c.make(g), false, reps));
    dif.push(time(() => c.make(), true, reps));
  }
  const med = (a: number[]): number => [...a].sort((p, q) => p - q)[a.length >> 1]!;
  const h = med(hand);
  const gm = gen.length > 0 ? med(gen) : NaN;
  const d = med(dif);
  console.log(
    `${c.name.padEnd(30)} ${h.toFixed(3).padStart(8)}  ${Number.isNaN(gm) ? '      —' : gm.toFixed(3).padStart(8)}  ${d.toFixed(3).padStart(14)}   ` +
      `${Number.isNaN(gm) ? '     —' : (gm / h).toFixed(2).padStart(8)}×  ${(d / h).toFixed(2).padStart(6)}×`,
  );
}
void (0 as unknown as OpDef);
