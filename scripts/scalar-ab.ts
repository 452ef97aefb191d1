/**
 * Compares the scalar lane of two versions of core in one process: both source trees are imported side by
 * side and their steps alternate (A, B, B, A, …), so both see the same machine. Timings from separate
 * processes on a shared VM differ by up to 2× (see the bench's CPU probe); the ratio B/A measured this way
 * does not. Prints medians in ms and B/A; run it with A = B first to see the noise (1.00 ± 0.01 here).
 *
 *     cp -r <other checkout>/packages/core/src /tmp/coreA && cp -r packages/core/src /tmp/coreB
 *     pnpm exec tsx --conditions=source scripts/scalar-ab.ts /tmp/coreA /tmp/coreB [--workload w3|chain] [--n 10000]
 *
 * `w3` is micrograd's demo step (2 → 16 → 16 → 1 MLP of Values over 100 points, hinge loss + L2, SGD; the
 * bench's W3 shape); `chain` is W4's y ← 1.0001·y + 0.0001, N times, then backward. A tree outside this
 * repository gets a `package.json` saying `"type": "module"`, so that its `.ts` files load as ES modules.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';

interface Core {
  value(x: number, requiresGrad?: boolean): Val;
}
interface Val {
  data: number;
  grad: number;
  add(b: Val | number): Val;
  mul(b: Val | number): Val;
  relu(): Val;
  backward(): void;
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { workload: { type: 'string', default: 'w3' }, n: { type: 'string', default: '10000' }, reps: { type: 'string', default: '60' } },
});
if (positionals.length !== 2) throw new Error('usage: scalar-ab.ts <core src A> <core src B> [--workload w3|chain] [--n N]');

async function load(dir: string): Promise<Core> {
  const abs = resolve(dir);
  if (!existsSync(join(abs, 'package.json'))) writeFileSync(join(abs, 'package.json'), '{"type":"module"}\n');
  return (await import(pathToFileURL(join(abs, 'index.ts')).href)) as Core;
}

/** One W3-like step; returns the loss. */
function w3(c: Core): () => number {
  let seed = 1;
  const rnd = (): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
  const sizes = [2, 16, 16, 1];
  const layers = sizes.slice(1).map((out, li) =>
    Array.from({ length: out }, () => ({ w: Array.from({ length: sizes[li]! }, () => c.value(rnd())), b: c.value(rnd()), relu: li < 2 })));
  const params = layers.flatMap((l) => l.flatMap((n) => [...n.w, n.b]));
  const xs = Array.from({ length: 200 }, rnd);
  const ys = Array.from({ length: 100 }, (_, i) => (xs[2 * i]! * xs[2 * i + 1]! > 0 ? 1 : -1));
  return () => {
    let data: Val | undefined;
    for (let i = 0; i < 100; i++) {
      let h: Val[] = [c.value(xs[2 * i]!), c.value(xs[2 * i + 1]!)];
      for (const layer of layers) {
        h = layer.map((n) => {
          let a = n.b;
          for (let k = 0; k < n.w.length; k++) a = a.add(n.w[k]!.mul(h[k]!));
          return n.relu ? a.relu() : a;
        });
      }
      const hinge = h[0]!.mul(-ys[i]!).add(1).relu();
      data = data === undefined ? hinge.add(0) : data.add(hinge);
    }
    let reg: Val | undefined;
    for (const p of params) reg = reg === undefined ? p.mul(p) : reg.add(p.mul(p));
    const total = data!.mul(0.01).add(reg!.mul(1e-4));
    for (const p of params) p.grad = 0;
    total.backward();
    for (const p of params) p.data -= 0.05 * p.grad;
    return total.data;
  };
}

/** W4's chain of N multiply-adds; returns dy/dx. */
function chain(c: Core, n: number): () => number {
  return () => {
    const x = c.value(0.5);
    let y = x;
    for (let i = 0; i < n; i++) y = y.mul(1.0001).add(0.0001);
    y.backward();
    return x.grad;
  };
}

const [a, b] = await Promise.all(positionals.map(load));
const make = (c: Core): (() => number) => (values.workload === 'chain' ? chain(c, Number(values.n)) : w3(c));
const steps = [make(a!), make(b!)];
for (let i = 0; i < 20; i++) for (const s of steps) s();
const times: [number[], number[]] = [[], []];
const results: [number, number] = [0, 0];
for (let r = 0; r < Number(values.reps); r++) {
  for (const k of r % 2 === 0 ? [0, 1] : [1, 0]) {
    const t0 = performance.now();
    results[k] = steps[k]!();
    times[k].push(performance.now() - t0);
  }
}
const median = (x: number[]): number => [...x].sort((p, q) => p - q)[x.length >> 1]!;
const [ma, mb] = times.map(median) as [number, number];
console.log(
  `${values.workload}: A ${ma.toFixed(3)} ms, B ${mb.toFixed(3)} ms, B/A ${(mb / ma).toFixed(3)}; ` +
    (results[0] === results[1] ? 'results equal' : `results differ: ${results[0]} vs ${results[1]}`),
);
