/**
 * The scalar engine's speed on micrograd's demo step: an MLP of Values 2 → 16 → 16 → 1 (relu hidden,
 * linear output) over 100 two-moons points, SVM hinge loss + 1e-4·Σp², forward + zero-grad + backward +
 * SGD. Prints ms per step and recorded ops per second. Run: pnpm exec tsx --conditions=source scripts/scalar-speed.ts
 */
import { Rng, value, type Value } from '@tapegrad/core';
import { scalarLane } from '../packages/core/src/graph/scalar-tape.ts';

const rng = new Rng(1234);

function moons(n: number, noise: number): { X: number[][]; y: number[] } {
  const X: number[][] = [];
  const y: number[] = [];
  const half = Math.floor(n / 2);
  for (let i = 0; i < n; i++) {
    const outer = i < half;
    const t = Math.PI * (outer ? i / Math.max(1, half - 1) : (i - half) / Math.max(1, n - half - 1));
    const px = outer ? Math.cos(t) : 1 - Math.cos(t);
    const py = outer ? Math.sin(t) : 0.5 - Math.sin(t);
    X.push([px + noise * rng.normal(), py + noise * rng.normal()]);
    y.push(outer ? -1 : 1);
  }
  return { X, y };
}

interface Layer { w: Value[][]; b: Value[]; relu: boolean }
const sizes = [2, 16, 16, 1];
const layers: Layer[] = [];
for (let l = 1; l < sizes.length; l++) {
  const nin = sizes[l - 1]!;
  layers.push({
    w: Array.from({ length: sizes[l]! }, () => Array.from({ length: nin }, () => value(rng.range(-1, 1)))),
    b: Array.from({ length: sizes[l]! }, () => value(0)),
    relu: l < sizes.length - 1,
  });
}
const params = layers.flatMap((L) => [...L.w.flat(), ...L.b]);

function forward(x: Value[]): Value {
  let a = x;
  for (const L of layers) {
    a = L.w.map((row, j) => {
      let s = L.b[j]!;
      for (let i = 0; i < row.length; i++) s = s.add(row[i]!.mul(a[i]!));
      return L.relu ? s.relu() : s;
    });
  }
  return a[0]!;
}

const { X, y } = moons(100, 0.1);
let backwardMs = 0;
function step(): { loss: number; ops: number } {
  const before = scalarLane.length;
  let total = value(0, false);
  for (let i = 0; i < X.length; i++) {
    const score = forward(X[i]!.map((v) => value(v, false)));
    total = total.add(score.mul(-y[i]!).add(1).relu());
  }
  let reg = value(0, false);
  for (const p of params) reg = reg.add(p.mul(p));
  const loss = total.div(X.length).add(reg.mul(1e-4));
  const ops = scalarLane.length - before;
  for (const p of params) p.grad = 0;
  const tb = performance.now();
  loss.backward();
  backwardMs += performance.now() - tb;
  for (const p of params) p.data -= 0.05 * p.grad;
  return { loss: loss.data, ops };
}

for (let i = 0; i < 5; i++) step();
const times: number[] = [];
backwardMs = 0;
let ops = 0;
let loss = 0;
for (let r = 0; r < Number(process.env.REPS ?? 15); r++) {
  const t0 = performance.now();
  for (let k = 0; k < 3; k++) ({ ops, loss } = step());
  times.push((performance.now() - t0) / 3);
}
times.sort((a, b) => a - b);
const ms = times[Math.floor(times.length / 2)]!;
console.log(`scalar engine, micrograd step: ${ops} recorded ops, median ${ms.toFixed(2)} ms/step, ${(ops / ms / 1000).toFixed(2)} M ops/s, loss ${loss.toFixed(4)}, tape rows after step: ${scalarLane.length}; backward share ${(backwardMs / 45).toFixed(2)} ms/step`);
