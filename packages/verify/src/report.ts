import type { NestedArray } from '@tapegrad/core';
import type { VerifyReport } from './search.ts';

const VERDICT_TEXT = {
  holds: 'holds',
  wrong: 'WRONG: the hand derivation disagrees with the engine, and central differences side with the engine',
  'not-differentiable': 'NOT DIFFERENTIABLE here: hand and engine differ only where finite differences cannot confirm the engine (a kink, a tie, overflow)',
} as const;

const num = (x: number): string => (Number.isInteger(x) || !Number.isFinite(x) ? String(x) : Math.abs(x) >= 1e-3 && Math.abs(x) < 1e6 ? String(Number(x.toPrecision(10))) : x.toExponential(6));
const literal = (x: NestedArray): string => (typeof x === 'number' ? String(x) : `[${x.map(literal).join(', ')}]`);
const indent = (text: string, by: string): string => text.split('\n').map((l) => (l === '' ? l : by + l)).join('\n');

/**
 * Formats a {@link VerifyReport} for reading: one line for a derivation that holds; for one that does
 * not, a table (dimensions, element, hand, engine, numeric, relative error), the shrunk counterexample and
 * a snippet that reproduces it. This is what `tapegrad verify` prints.
 * @param r A report from {@link verifyDerivation}.
 * @returns The text, ending with a newline.
 * @example
 * ```ts
 * import { defineDerivation, formatReport, verifyDerivation } from '@tapegrad/verify';
 * const d = defineDerivation({
 *   name: 'tanh',
 *   inputs: { x: { shape: ['n'] } },
 *   f: ({ x }) => x.tanh(),
 *   grad: ({ x }, u) => ({ x: u.mul(x.tanh().square().neg().add(1)) }),
 * });
 * console.log(formatReport(verifyDerivation(d, { runs: 20 })).startsWith('✓ tanh: holds')); // true
 * ```
 * @category Verify
 */
export function formatReport(r: VerifyReport): string {
  const time = `${(r.ms / 1000).toFixed(2)} s`;
  if (r.verdict === 'holds') {
    const worst = r.worst === null ? '' : `, largest hand − engine difference ${(100 * r.worst.ratio).toPrecision(2)}% of the tolerance`;
    const odd = r.unreliable > 0 ? `, ${r.unreliable} where finite differences were unreliable` : '';
    return `✓ ${r.name}: holds (${r.cases} cases, seed ${r.seed}${worst}${odd}; ${time})\n`;
  }
  const rows: [string, string][] = [['verdict', VERDICT_TEXT[r.verdict]], ['cases', `${r.cases} (seed ${r.seed}; ${time})`]];
  const c = r.counterexample;
  if (c !== null) {
    const dims = Object.entries(c.dims).map(([k, v]) => `${k} = ${v}`).join(', ');
    if (dims !== '') rows.push(['dimensions', dims]);
    if (c.edgeCase !== null) rows.push(['edge case', c.edgeCase]);
    if (c.problem !== null) rows.push(['problem', c.problem]);
  }
  const w = r.worst;
  if (w !== null) {
    rows.push(['element', `${w.input}[${w.at.join(', ')}] (flat index ${w.index})`]);
    rows.push(['hand', num(w.hand)], ['engine', num(w.engine)], ['numeric', num(w.numeric)], ['rel. error', num(w.relError)]);
  }
  const width = Math.max(...rows.map(([k]) => k.length));
  let out = `✗ ${r.name}: ${r.verdict}\n` + rows.map(([k, v]) => `    ${k.padEnd(width)}  ${v}`).join('\n') + '\n';
  if (c !== null) {
    out += '  counterexample (shrunk):\n';
    for (const [k, v] of Object.entries(c.inputs)) out += `    ${k} = ${literal(v)}\n`;
    out += c.u === null ? '    u = ones (the upstream gradient)\n' : `    u = ${literal(c.u)} (the upstream gradient)\n`;
    out += `  reproduce:\n${indent(c.snippet, '    ')}\n`;
  }
  return out;
}
