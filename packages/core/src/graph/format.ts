// Printing a tensor as NumPy and PyTorch do: one number format per tensor, long dimensions elided.
import type { FloatArray } from '../base/dtype.ts';
import { fmt } from '../base/shape.ts';
import type { Tensor } from './tensor.ts';

/**
 * One number format for a whole tensor, chosen as PyTorch does: `1.` when every finite element is an
 * integer, scientific `1.0000e-07` when magnitudes span more than 1000× or leave [1e-4, 1e8], else `0.5000`.
 */
function numberFormat(data: FloatArray): (x: number) => string {
  let isInt = true;
  let lo = Infinity;
  let hi = 0;
  for (const x of data) {
    if (!Number.isFinite(x)) continue;
    if (!Number.isInteger(x)) isInt = false;
    const a = Math.abs(x);
    if (a !== 0) {
      lo = Math.min(lo, a);
      hi = Math.max(hi, a);
    }
  }
  const isSci = hi > 1e8 || (!isInt && (hi / lo > 1000 || lo < 1e-4));
  return (x) => {
    if (Number.isNaN(x)) return 'nan';
    if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
    if (isSci) return x.toExponential(4).replace(/e([+-])(\d)$/, 'e$10$2');
    return isInt ? `${x}.` : x.toFixed(4);
  };
}

/** The text of `t.toString()`. @internal */
export function formatTensor(t: Tensor): string {
  const rank = t.shape.length;
  const strides: number[] = [];
  let s = 1;
  for (let i = rank - 1; i >= 0; i--) {
    strides[i] = s;
    s *= t.shape[i]!;
  }
  // Long dimensions show their first and last three entries, as NumPy does. Only the elements shown
  // are formatted (and choose the number format, as PyTorch's summary does): a 3000×3000 tensor prints
  // 49 numbers, not 9 million.
  const shownIndices = (n: number): number[] => (n > 6 ? [0, 1, 2, -1, n - 3, n - 2, n - 1] : Array.from({ length: n }, (_, i) => i));
  const shown: number[] = [];
  const collect = (dim: number, offset: number): void => {
    if (dim === rank) {
      shown.push(offset);
      return;
    }
    for (const i of shownIndices(t.shape[dim]!)) if (i >= 0) collect(dim + 1, offset + i * strides[dim]!);
  };
  collect(0, 0);
  const formatNumber = numberFormat(Float64Array.from(shown, (o) => t.data[o]!));
  const cells = new Map(shown.map((o) => [o, formatNumber(t.data[o]!)]));
  let width = 0;
  for (const c of cells.values()) width = Math.max(width, c.length);
  const pad = (c: string): string => c.padStart(width);
  const render = (dim: number, offset: number, indent: string): string => {
    if (dim === rank) return pad(cells.get(offset)!);
    const idx = shownIndices(t.shape[dim]!);
    const parts = idx.map((i) => (i < 0 ? '...' : render(dim + 1, offset + i * strides[dim]!, indent + ' ')));
    const sep = dim === rank - 1 ? ', ' : ',\n' + '\n'.repeat(Math.max(0, rank - dim - 2)) + indent + ' ';
    return `[${parts.join(sep)}]`;
  };
  const body = rank === 0 ? formatNumber(t.data[0]!) : render(0, 0, '       ');
  const grad = t.node !== null ? `, grad_fn=${t.node.op.name}` : t.requiresGrad ? ', requiresGrad=true' : '';
  return `tensor(${body}, shape=${fmt(t.shape)}, dtype=${t.dtype}${grad})`;
}

