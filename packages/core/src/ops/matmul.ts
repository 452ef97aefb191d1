// matmul: Y = A·B, NumPy-style batching and transpose flags, on the GEMM kernel.
import { DTypeError, ShapeError } from '../base/errors.ts';
import { gemm } from '../kernels/gemm.ts';
import { broadcastIndex, broadcastShapes, fmt, sizeOf } from '../base/shape.ts';
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
  // No raw form: straight gemm calls measured differentiable/raw 0.94 (256×256·256×256), 0.92 (W1 big's 256×784·(256×784)ᵀ),
  // 1.01 (512×30·(64×30)ᵀ); with the batch folded into m, 1.30 (W6's 32×16×64·(256×64)ᵀ, runs 0.58–1.83) and 1.02
  // (32×16×256·(64×256)ᵀ): medians of 3 runs of scripts/raw-backward-bench.ts, load 8–18 on 2 cores.
  backward: ({ inputs: [a, b], dy, attrs: { transA, transB } }) => [
    a!.requiresGrad
      ? transA
        ? matmul(b!, dy, { transposeA: transB, transposeB: true })
        : matmul(dy, b!, { transposeB: !transB })
      : null,
    b!.requiresGrad ? gradB(a!, b!, dy, transA, transB) : null,
  ],
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
