// einsum: Einstein summation over labelled axes, as diagonals, sums, transposes and batched GEMMs.
import { ArgumentError, DTypeError, ShapeError } from '../base/errors.ts';
import { fmt } from '../base/shape.ts';
import type { Tensor } from '../graph/tensor.ts';
import { tensor } from '../graph/creation.ts';
import { asTensor } from './define.ts';
import { matmul } from './matmul.ts';
import { mul } from './mul.ts';
import { reshape } from './reshape.ts';
import { sum } from './sum.ts';
import { transpose } from './transpose.ts';

/** A tensor with one label per axis. */
interface Labelled {
  readonly t: Tensor;
  readonly labels: string;
}

function fail(equation: string, why: string): never {
  throw new ArgumentError(`einsum: equation must ${why}, got '${equation}'`);
}

/** Keeps the first of two axes with the same label: the diagonal, as x·I summed over the second axis. */
function diagonal(x: Labelled): Labelled {
  for (let a = 0; a < x.labels.length; a++) {
    const b = x.labels.indexOf(x.labels[a]!, a + 1);
    if (b < 0) continue;
    const n = x.t.shape[a]!;
    const shape = x.t.shape.map((d, i) => (i === a || i === b ? n : 1));
    const eye = tensor(Array.from({ length: n * n }, (_, i) => Number(i % (n + 1) === 0)), { shape: [n, n], dtype: x.t.dtype });
    const mask = reshape(eye, shape);
    return diagonal({ t: sum(mul(x.t, mask), b), labels: x.labels.slice(0, b) + x.labels.slice(b + 1) });
  }
  return x;
}

/** Sums the axes whose labels are not in `keep`. */
function sumOut(x: Labelled, keep: string): Labelled {
  const axes = [...x.labels].flatMap((l, i) => (keep.includes(l) ? [] : [i]));
  if (axes.length === 0) return x;
  return { t: sum(x.t, axes), labels: [...x.labels].filter((l) => keep.includes(l)).join('') };
}

/** Permutes x's axes into the order of `labels` (a permutation of x's labels). */
function permute(x: Labelled, labels: string): Tensor {
  if (x.labels === labels) return x.t;
  return transpose(x.t, [...labels].map((l) => x.labels.indexOf(l)));
}

/** One batched GEMM: the shared labels kept later are batch axes, the other shared ones are contracted. */
function contract(a: Labelled, b: Labelled, later: string): Labelled {
  const size = (l: string): number => (a.labels.includes(l) ? a.t.shape[a.labels.indexOf(l)]! : b.t.shape[b.labels.indexOf(l)]!);
  const batch = [...a.labels].filter((l) => b.labels.includes(l) && later.includes(l)).join('');
  const inner = [...a.labels].filter((l) => b.labels.includes(l) && !later.includes(l)).join('');
  const left = [...a.labels].filter((l) => !b.labels.includes(l)).join('');
  const right = [...b.labels].filter((l) => !a.labels.includes(l)).join('');
  const prod = (ls: string): number => [...ls].reduce((p, l) => p * size(l), 1);
  const am = reshape(permute(a, batch + left + inner), [prod(batch), prod(left), prod(inner)]);
  const bm = reshape(permute(b, batch + inner + right), [prod(batch), prod(inner), prod(right)]);
  const y = matmul(am, bm);
  return { t: reshape(y, [...batch + left + right].map(size)), labels: batch + left + right };
}

/**
 * Einstein summation, as `torch.einsum`: `'ij,jk->ik'` multiplies matrices, `'bij,bjk->bik'` batches them,
 * `'i,j->ij'` is the outer product, `'ii->'` the trace, `'ij->ji'` a transpose and `'ij->j'` a sum over i.
 * Without `->`, the output holds the labels that appear once, in alphabetical order. Operands are combined
 * left to right: repeated labels within an operand become diagonals, labels used nowhere else are summed
 * first, and each pair is one batched matmul (the GEMM kernels), so the gradient comes from those ops' rules.
 * @param equation Lower- or upper-case letters per operand, separated by commas, optionally `->` and the output's letters.
 * @param operands One tensor per operand, each with one axis per letter.
 * @returns The tensor with the output's axes.
 * @throws {@link ArgumentError} for a malformed equation, or the wrong number of operands.
 * @throws {@link ShapeError} when an operand's rank differs from its letters or one letter has two sizes.
 * @throws {@link DTypeError} when the dtypes differ.
 * @example
 * ```ts
 * import { einsum, tensor } from '@tapegrad/core';
 * console.log(einsum('ii->', tensor([[1, 2], [3, 4]])).item()); // 5
 * ```
 * @category Linear algebra
 */
export function einsum(equation: string, ...operands: Tensor[]): Tensor {
  if (typeof equation !== 'string') throw new ArgumentError(`einsum: equation must be a string, got ${typeof equation}`);
  const eq = equation.replace(/\s+/g, '');
  const parts = eq.split('->');
  if (parts.length > 2) fail(equation, "have at most one '->'");
  const inputs = parts[0]!.split(',');
  if (![...inputs, parts[1] ?? ''].every((s) => /^[a-zA-Z]*$/.test(s))) fail(equation, "use only letters, ',' and '->' (no '...')");
  if (inputs.length !== operands.length) {
    throw new ArgumentError(`einsum: equation '${equation}' names ${inputs.length} operand(s), got ${operands.length}`);
  }
  operands.forEach((t, k) => asTensor('einsum', `operands[${k}]`, t));
  const bad = operands.findIndex((t) => t.dtype !== operands[0]!.dtype);
  if (bad > 0) throw new DTypeError(`einsum: operands must have one dtype, got operands[0] ${operands[0]!.dtype} and operands[${bad}] ${operands[bad]!.dtype}`);
  const sizes = new Map<string, number>();
  inputs.forEach((ls, k) => {
    const t = operands[k]!;
    if (ls.length !== t.rank) throw new ShapeError(`einsum: operand ${k} has ${ls.length} letter(s) '${ls}' in '${equation}', got operands[${k}] ${fmt(t.shape)}`);
    [...ls].forEach((l, i) => {
      const d = t.shape[i]!;
      const seen = sizes.get(l);
      if (seen !== undefined && seen !== d) throw new ShapeError(`einsum: letter '${l}' has sizes ${seen} and ${d} in '${equation}', got shapes ${operands.map((o) => fmt(o.shape)).join(', ')}`);
      sizes.set(l, d);
    });
  });
  const all = inputs.join('');
  const output = parts[1] ?? [...new Set(all)].filter((l) => all.indexOf(l) === all.lastIndexOf(l)).sort().join('');
  if (new Set(output).size !== output.length) fail(equation, 'not repeat an output letter');
  const missing = [...output].find((l) => !all.includes(l));
  if (missing !== undefined) fail(equation, `use only input letters in the output ('${missing}' is not an input letter)`);
  let acc: Labelled | null = null;
  for (let k = 0; k < operands.length; k++) {
    const later = output + inputs.slice(k + 1).join('');
    let x = diagonal({ t: operands[k]!, labels: inputs[k]! });
    x = sumOut(x, later + (acc?.labels ?? ''));
    acc = acc === null ? x : contract(sumOut(acc, later + x.labels), x, later);
  }
  return permute(sumOut(acc!, output), output);
}
