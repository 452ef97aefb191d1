import { AGREEMENT_TOLERANCE } from '@tapegrad/nn';
import type { Io } from './io.ts';
import { seedNeuron } from './seed-neuron.ts';

/**
 * `tapegrad neuron`: the seed derivation at its smallest — one sigmoid neuron with binary cross-entropy on
 * the scalar `Value` tape, showing that the tape recovers ∂L/∂z = ŷ − t.
 * @param io Where to write.
 * @returns The exit code (1 on a mismatch).
 */
export function runNeuron(io: Io): number {
  io.out('tapegrad neuron: one sigmoid neuron, binary cross-entropy, on the scalar Value tape\n\n');
  io.out('  z = w·x + b,  ŷ = σ(z),  L = −[t·ln ŷ + (1 − t)·ln(1 − ŷ)]\n');
  io.out('  chain rule: ∂L/∂z = ∂L/∂ŷ · ∂ŷ/∂z = (ŷ − t)/(ŷ(1 − ŷ)) · ŷ(1 − ŷ) = ŷ − t\n\n');
  const cases = [
    [0.8, -0.3, 1.5, 1],
    [0.8, -0.3, 1.5, 0],
    [-2.0, 0.5, 3.0, 1],
    [1.2, 0.1, -0.7, 0],
  ] as const;
  const rows = cases.map(([w, b, x, t]) => seedNeuron(w, b, x, t));
  const f = (v: number): string => v.toFixed(12).padStart(16);
  io.out(`${'z'.padStart(8)} ${'t'.padStart(3)} ${'ŷ'.padStart(10)} ${'tape ∂L/∂z'.padStart(16)} ${'ŷ − t'.padStart(16)} ${'finite diff.'.padStart(16)}  agree\n`);
  let ok = true;
  for (const r of rows) {
    const agree = Math.abs(r.dLdz - r.yhatMinusT) <= AGREEMENT_TOLERANCE && Math.abs(r.dLdz - r.numeric) <= 1e-6;
    ok &&= agree;
    io.out(`${r.z.toFixed(3).padStart(8)} ${String(r.t).padStart(3)} ${r.yhat.toFixed(6).padStart(10)} ${f(r.dLdz)} ${f(r.yhatMinusT)} ${f(r.numeric)}  ${agree ? 'yes' : 'NO'}\n`);
  }
  io.out(`\n${ok ? 'The tape recovers ∂L/∂z = ŷ − t at every point.' : 'MISMATCH: the tape disagrees with ŷ − t.'}\n`);
  return ok ? 0 : 1;
}
