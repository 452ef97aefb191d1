#!/usr/bin/env node
import { seedNeuron } from './seed-neuron.ts';

function demo(): void {
  console.log('tapegrad demo: one sigmoid neuron, binary cross-entropy, on the scalar Value tape\n');
  console.log('  z = w·x + b,  ŷ = σ(z),  L = −[t·ln ŷ + (1 − t)·ln(1 − ŷ)]');
  console.log('  chain rule: ∂L/∂z = ∂L/∂ŷ · ∂ŷ/∂z = (ŷ − t)/(ŷ(1 − ŷ)) · ŷ(1 − ŷ) = ŷ − t\n');
  const cases = [
    [0.8, -0.3, 1.5, 1],
    [0.8, -0.3, 1.5, 0],
    [-2.0, 0.5, 3.0, 1],
    [1.2, 0.1, -0.7, 0],
  ] as const;
  const rows = cases.map(([w, b, x, t]) => seedNeuron(w, b, x, t));
  const f = (v: number): string => v.toFixed(12).padStart(16);
  console.log(`${'z'.padStart(8)} ${'t'.padStart(3)} ${'ŷ'.padStart(10)} ${'tape ∂L/∂z'.padStart(16)} ${'ŷ − t'.padStart(16)} ${'finite diff.'.padStart(16)}  agree`);
  let ok = true;
  for (const r of rows) {
    const agree = Math.abs(r.dLdz - r.yhatMinusT) <= 1e-12 && Math.abs(r.dLdz - r.numeric) <= 1e-6;
    ok &&= agree;
    console.log(`${r.z.toFixed(3).padStart(8)} ${String(r.t).padStart(3)} ${r.yhat.toFixed(6).padStart(10)} ${f(r.dLdz)} ${f(r.yhatMinusT)} ${f(r.numeric)}  ${agree ? 'yes' : 'NO'}`);
  }
  console.log(`\n${ok ? 'The tape recovers ∂L/∂z = ŷ − t at every point.' : 'MISMATCH: the tape disagrees with ŷ − t.'}`);
  if (!ok) process.exitCode = 1;
}

const [command = 'demo'] = process.argv.slice(2);
if (command === 'demo') demo();
else {
  console.error(`tapegrad: unknown command '${command}'. Commands: demo`);
  process.exitCode = 2;
}
