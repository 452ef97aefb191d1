// matmul: Y = A·B, NumPy-style batching and transpose flags, on the GEMM kernel.
import { DTypeError, ShapeError } from '../base/errors.ts';
import { gemm } from '../kernels/gemm.ts';
import { broadcastIndex, broadcastShapes, fmt, sizeOf } from '../base/shape.ts';
import { scratchLike } from '../graph/grad-pool.ts';
import { Tensor } from '../graph/tensor.ts';
import { alloc, asTensor, defineOp, record, type OpDef, symbolicIn } from './define.ts';
import { reshape } from './reshape.ts';

/** Transpose flags of {@link matmul}: multiply by a stored matrix's transpose without copying it. @category Linear algebra */
export interface MatmulOptions {
  /** Use aᵀ (a's last two axes swapped). */
  readonly transposeA?: boolean;
  /** Use bᵀ (b's last two axes swapped). */
  readonly transposeB?: boolean;
}

interface MatmulAttrs {
  readonly transA: boolean;
  readonly transB: boolean;
}

const op: OpDef<MatmulAttrs> = defineOp<MatmulAttrs>({
  name: 'matmul',
  rule: 'Y = A·B, ∂L/∂A = ∂L/∂Y·Bᵀ, ∂L/∂B = Aᵀ·∂L/∂Y ⇒ dA = dY·Bᵀ, dB = Aᵀ·dY (transpose flags, no copies)',
  backward: ({ inputs: [a, b], dy, attrs: { transA, transB } }) => [
    a!.requiresGrad
      ? transA
        ? matmul(b!, dy, { transposeA: transB, transposeB: true })
        : matmul(dy, b!, { transposeB: !transB })
      : null,
    b!.requiresGrad ? gradB(a!, b!, dy, transA, transB) : null,
  ],
  // The same products as above, straight to gemm for plain matrices (the shapes were checked forward).
  rawBackward: ({ inputs: [a, b], output: y, dy, attrs: { transA, transB } }) => {
    // Scratch storage is not zeroed and gemm may write nothing for an empty inner dimension (m or n here),
    // so an empty output takes the general path.
    // A batch times a matrix (a not transposed) is one product with the batch folded into m, as forward.
    const isFlat = b!.rank === 2 && (a!.rank === 2 || !transA);
    if (!isFlat || y.size === 0) return op.backward!({ inputs: [a!, b!], output: y, dy, attrs: { transA, transB } });
    const n = y.shape[y.rank - 1]!;
    const m = y.size / n;
    const k = a!.shape[a!.rank - (transA ? 2 : 1)]!;
    let da: Tensor | null = null;
    let db: Tensor | null = null;
    if (a!.requiresGrad) {
      // A stored [m, k]: dA = dY·op(B)ᵀ; stored [k, m] (transA): dA = op(B)·dYᵀ
      const out = scratchLike(dy.data, a!.size);
      if (transA) gemm(b!.data, dy.data, out, k, m, n, transB, true);
      else gemm(dy.data, b!.data, out, m, k, n, false, !transB);
      da = Tensor.fromData(out, a!.shape, a!.dtype);
    }
    if (b!.requiresGrad) {
      // B stored [k, n]: dB = op(A)ᵀ·dY; stored [n, k] (transB): dB = dYᵀ·op(A)
      const out = scratchLike(dy.data, b!.size);
      if (transB) gemm(dy.data, a!.data, out, n, k, m, true, transA);
      else gemm(a!.data, dy.data, out, k, n, m, !transA, false);
      db = Tensor.fromData(out, b!.shape, b!.dtype);
    }
    return [da, db];
  },
});

/**
 * dB of `Y = op(A)·op(B)`. When B is one matrix and A a batch of row blocks (not transposed), the sum of
 * the per-batch products Aᵢᵀ·dYᵢ that the engine would otherwise take over the broadcast batch axes is
 * itself one product over the flattened rows: dB = Aᵀ·dY with A as [rows, k] and dY as [rows, n].
 */
function gradB(a: Tensor, b: Tensor, dy: Tensor, transA: boolean, transB: boolean): Tensor {
  const k = a.shape[a.rank - 1]!;
  const n = dy.shape[dy.rank - 1]!;
  if (b.rank === 2 && a.rank > 2 && !transA && k > 0 && n > 0) {
    const a2 = reshape(a, [a.size / k, k]);
    const dy2 = reshape(dy, [dy.size / n, n]);
    // B stored [k, n]: dB = Aᵀ·dY; stored [n, k] (transB): dB = dYᵀ·A
    return transB ? matmul(dy2, a2, { transposeA: true }) : matmul(a2, dy2, { transposeA: true });
  }
  return transB
    ? matmul(dy, a, { transposeA: true, transposeB: transA })
    : matmul(a, dy, { transposeA: !transA });
}

/**
 * Matrix product `Y = A·B`, NumPy-style: 2-D matrices, 1-D vectors (a leading vector is a row, a
 * trailing one a column, and that axis is dropped from the result), and batches broadcast over the
 * leading axes. `transposeA`/`transposeB` multiply by the transpose of a stored matrix without copying it.
 * @param a Left operand, shape `[..., m, k]` (or `[..., k, m]` with `transposeA`).
 * @param b Right operand, shape `[..., k, n]` (or `[..., n, k]` with `transposeB`).
 * @param opts Transpose flags.
 * @returns The product, shape `[...batch, m, n]`.
 * @throws {@link ShapeError} when the inner dimensions differ or the batch axes do not broadcast.
 * @example
 * ```ts
 * import { matmul, tensor } from '@tapegrad/core';
 * const a = tensor([[1, 2], [3, 4]]);
 * console.log(matmul(a, tensor([1, 1])).toArray()); // [3, 7]
 * ```
 * @category Linear algebra
 */
export function matmul(a: Tensor, b: Tensor, opts: MatmulOptions = {}): Tensor {
  if (symbolicIn(a, b) !== null) return symbolicIn(a, b)!.apply(op, matmul, [a, b], [opts]) as Tensor;
  asTensor('matmul', 'a', a);
  asTensor('matmul', 'b', b);
  if (a.dtype !== b.dtype) throw new DTypeError(`matmul: operands must have the same dtype, got a ${a.dtype} and b ${b.dtype}`);
  if (a.rank === 0 || b.rank === 0) {
    throw new ShapeError(`matmul: operands must have at least 1 dimension, got a ${fmt(a.shape)} and b ${fmt(b.shape)}`);
  }
  const transA = (opts.transposeA ?? false) && a.rank >= 2;
  const transB = (opts.transposeB ?? false) && b.rank >= 2;
  const a2 = a.rank === 1 ? [1, a.shape[0]!] : a.shape;
  const b2 = b.rank === 1 ? [b.shape[0]!, 1] : b.shape;
  const ka = a2[a2.length - (transA ? 2 : 1)]!;
  const kb = b2[b2.length - (transB ? 1 : 2)]!;
  if (ka !== kb) {
    throw new ShapeError(`matmul: inner dimensions must match, got a ${fmt(a.shape)} and b ${fmt(b.shape)}${transA || transB ? ` (transposeA ${transA}, transposeB ${transB})` : ''}`);
  }
  let batch: readonly number[];
  try {
    batch = broadcastShapes(a2.slice(0, -2), b2.slice(0, -2), 'matmul');
  } catch {
    // Name the operands' full shapes, not only their batch axes.
    throw new ShapeError(`matmul: batch axes must broadcast, got a ${fmt(a.shape)} and b ${fmt(b.shape)}`);
  }
  // Vectors become matrices for the product and lose that axis again afterwards.
  const am = a.rank === 1 ? reshape(a, a2) : a;
  const bm = b.rank === 1 ? reshape(b, b2) : b;
  const y = matmulCore(am, bm, transA, transB, batch);
  if (a.rank > 1 && b.rank > 1) return y;
  const shape = y.shape.slice();
  if (b.rank === 1) shape.pop();
  if (a.rank === 1) shape.splice(shape.length - (b.rank === 1 ? 1 : 2), 1);
  return reshape(y, shape);
}

function matmulCore(a: Tensor, b: Tensor, transA: boolean, transB: boolean, batch: readonly number[]): Tensor {
  const ra = a.rank;
  const rb = b.rank;
  const m = a.shape[ra - (transA ? 1 : 2)]!;
  const k = a.shape[ra - (transA ? 2 : 1)]!;
  const n = b.shape[rb - (transB ? 2 : 1)]!;
  const count = sizeOf(batch);
  const out = alloc(a.dtype, count * m * n, 'matmul', [...batch, m, n]);
  if (count === 1) gemm(a.data, b.data, out, m, n, k, transA, transB);
  // A batch of row blocks times one matrix is one product of (count·m) rows: one GEMM call, B packed once.
  else if (rb === 2 && !transA) gemm(a.data, b.data, out, count * m, n, k, false, transB);
  else {
    const ia = broadcastIndex(batch, a.shape.slice(0, -2));
    const ib = broadcastIndex(batch, b.shape.slice(0, -2));
    for (let i = 0; i < count; i++) {
      gemm(a.data, b.data, out, m, n, k, transA, transB, ia[i]! * m * k, ib[i]! * k * n, i * m * n);
    }
  }
  return record(op, [a, b], Tensor.fromData(out, [...batch, m, n], a.dtype), { transA, transB });
}
