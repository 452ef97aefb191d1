import { ArgumentError, fromBuffer, gemm, noGrad, ShapeError, sigmoidInto, Tensor, type FloatArray } from '@tapegrad/core';
import type { MLP, OutputName } from './mlp.ts';
import { fmt } from './util.ts';

/**
 * One pass of the hand-derived fast path, in the seed's notation: examples are columns, so every matrix
 * here is `[n_l, m]`, row-major. Index `l` is the layer number (index 0 is unused for `Z`, `dZ`, `A`:
 * `A_0 = Xᵀ` is read from `X` through gemm's transpose flag and never copied).
 *
 * The arrays are copies taken when the pass returns: later calls on the same model do not change them.
 * A training loop that reads only the loss calls {@link fastGrad}, which copies nothing.
 * @category nn
 */
export interface FastPass {
  /** Batch size `m`. */
  readonly m: number;
  /** The loss, with mean reduction. */
  readonly loss: number;
  /** `Z[l] = W_l·A_{l−1} + b_l`, `[n_l, m]`, for l = 1…L. */
  readonly Z: readonly FloatArray[];
  /** `A[l] = g(Z_l)`, `[n_l, m]`, for l = 1…L−1. */
  readonly A: readonly FloatArray[];
  /** `Ŷ = out(Z_L)`, `[n_L, m]`. */
  readonly Yhat: FloatArray;
  /** `dZ[l] = ∂L/∂Z_l`, `[n_l, m]`, for l = 1…L (after a backward pass). */
  readonly dZ: readonly FloatArray[];
  /** `dA[l] = ∂L/∂A_l = W_{l+1}ᵀ·dZ_{l+1}`, `[n_l, m]`, for l = 1…L−1 (after a backward pass). */
  readonly dA: readonly FloatArray[];
}

interface Workspace {
  m: number;
  /** The loss of the last step run in this workspace. */
  loss: number;
  Z: FloatArray[];
  A: FloatArray[];
  dZ: FloatArray[];
  dA: FloatArray[];
  dW: FloatArray[];
  db: FloatArray[];
  Yhat: FloatArray;
  T: FloatArray;
}

const EMPTY = new Float64Array(0);
const workspaces = new WeakMap<MLP, Map<number, Workspace>>();
/**
 * Workspaces kept per model, most recently used first out of the cache last: a training batch size,
 * the epoch's smaller last batch and an evaluation size fit. One per distinct batch size forever grew
 * without bound (+289 MB for sizes 1…149).
 */
const MAX_WORKSPACES = 4;

function workspace(model: MLP, m: number): Workspace {
  let byM = workspaces.get(model);
  if (byM === undefined) workspaces.set(model, (byM = new Map()));
  let ws = byM.get(m);
  if (ws !== undefined) {
    // Move to the back of the Map's insertion order: the front is the least recently used.
    byM.delete(m);
    byM.set(m, ws);
  } else {
    if (byM.size >= MAX_WORKSPACES) byM.delete(byM.keys().next().value!);
    const n = model.sizes;
    const L = n.length - 1;
    const f = (len: number): FloatArray => (model.layers[0]!.weight.dtype === 'float32' ? new Float32Array(len) : new Float64Array(len));
    const Z: FloatArray[] = [EMPTY], A: FloatArray[] = [EMPTY], dZ: FloatArray[] = [EMPTY], dA: FloatArray[] = [EMPTY];
    const dW: FloatArray[] = [EMPTY], db: FloatArray[] = [EMPTY];
    for (let l = 1; l <= L; l++) {
      Z.push(f(n[l]! * m));
      dZ.push(f(n[l]! * m));
      A.push(l < L ? f(n[l]! * m) : EMPTY);
      dA.push(l < L ? f(n[l]! * m) : EMPTY);
      dW.push(f(n[l]! * n[l - 1]!));
      db.push(f(n[l]!));
    }
    ws = { m, loss: NaN, Z, A, dZ, dA, dW, db, Yhat: f(n[L]! * m), T: f(n[L]! * m) };
    byM.set(m, ws);
  }
  return ws;
}

function checkInput(model: MLP, X: Tensor): FloatArray {
  if (!(X instanceof Tensor) || X.rank !== 2 || X.shape[1] !== model.sizes[0]) {
    throw new ShapeError(`fastStep: X must have shape [m, ${model.sizes[0]}], got ${X instanceof Tensor ? fmt(X.shape) : typeof X}`);
  }
  const dtype = model.layers[0]!.weight.dtype;
  return X.dtype === dtype ? X.data : X.astype(dtype).data;
}

/**
 * Writes the targets as `T` `[n_L, m]` (columns): one-hot columns from class indices for softmax, the
 * given values otherwise.
 */
function fillTargets(output: OutputName, t: Tensor, T: FloatArray, m: number, k: number): void {
  if (output === 'softmax') {
    if (t.size !== m) throw new ShapeError(`fastStep: softmax targets must be ${m} class indices, got shape ${fmt(t.shape)}`);
    T.fill(0);
    for (let i = 0; i < m; i++) {
      const c = t.data[i]!;
      if (!Number.isInteger(c) || c < 0 || c >= k) throw new ArgumentError(`fastStep: labels must be integers in [0, ${k}), got ${c} at index ${i}`);
      T[c * m + i] = 1;
    }
    return;
  }
  if (t.size !== m * k) throw new ShapeError(`fastStep: targets must have ${m * k} elements ([${m}, ${k}]), got shape ${fmt(t.shape)}`);
  for (let i = 0; i < m; i++) for (let j = 0; j < k; j++) T[j * m + i] = t.data[i * k + j]!;
}

/** Forward through every layer; fills Z, A and Ŷ. */
function forwardInto(model: MLP, x: FloatArray, ws: Workspace): void {
  const { m, Z, A } = ws;
  const n = model.sizes;
  const L = n.length - 1;
  for (let l = 1; l <= L; l++) {
    const W = model.layers[l - 1]!.weight.data;
    const b = model.layers[l - 1]!.bias?.data;
    const Zl = Z[l]!;
    // Z_l = W_l·A_{l−1} + b_l; for l = 1, A_0 = Xᵀ: X is [m, n_0], read transposed
    if (l === 1) gemm(W, x, Zl, n[1]!, m, n[0]!, false, true);
    else gemm(W, A[l - 1]!, Zl, n[l]!, m, n[l - 1]!, false, false);
    // One pass per layer: add the bias row by row, then activate (the output sigmoid included).
    const g = l < L ? model.activation : model.output === 'sigmoid' ? 'sigmoid' : 'identity';
    activate(g, Zl, l < L ? A[l]! : ws.Yhat, b, m);
  }
  if (model.output === 'softmax') outputColumns(ws.Yhat, m, n[L]!);
}

/**
 * Z_j += b_j along each row j of `[n, m]`, then A = g(Z), in one pass (no bias when b is undefined).
 * σ is computed as 1/(1 + e) or e/(1 + e) with e = e^{−|z|}, which never overflows.
 */
function activate(g: MLP['activation'] | 'identity', Z: FloatArray, A: FloatArray, b: FloatArray | undefined, m: number): void {
  const rows = Z.length / m;
  for (let j = 0; j < rows; j++) {
    const bj = b === undefined ? 0 : b[j]!;
    const end = (j + 1) * m;
    if (g === 'sigmoid') {
      for (let i = j * m; i < end; i++) Z[i] = Z[i]! + bj;
      // Once every row has its bias, A = σ(Z) in one call of the sigmoid kernel the sigmoid op uses
      // (WebAssembly SIMD for large buffers): the same bits as the generic engine, whose gradients must
      // equal these.
      if (j === rows - 1) sigmoidInto(Z, A);
    } else if (g === 'relu') {
      for (let i = j * m; i < end; i++) {
        const z = (Z[i] = Z[i]! + bj);
        A[i] = z <= 0 ? 0 : z; // NaN stays NaN, as relu does
      }
    } else if (g === 'tanh') for (let i = j * m; i < end; i++) A[i] = Math.tanh((Z[i] = Z[i]! + bj));
    else for (let i = j * m; i < end; i++) A[i] = Z[i] = Z[i]! + bj;
  }
}

/** Ŷ = softmax(Z_L) in place on `[k, m]` columns: softmax runs down each column. */
function outputColumns(Y: FloatArray, m: number, k: number): void {
  for (let i = 0; i < m; i++) {
    let mx = -Infinity;
    for (let j = 0; j < k; j++) mx = Math.max(mx, Y[j * m + i]!);
    let s = 0;
    for (let j = 0; j < k; j++) s += (Y[j * m + i] = Math.exp(Y[j * m + i]! - mx));
    for (let j = 0; j < k; j++) Y[j * m + i] = Y[j * m + i]! / s;
  }
}

/**
 * The loss from the logits `Z_L` (never from `Ŷ`, so it stays finite at saturation): sigmoid
 * `mean(softplus(z) − t·z)`, softmax `mean(logΣexp(z) − z_label)`, identity `mean((z − t)²)`.
 */
function lossOf(output: OutputName, Z: FloatArray, T: FloatArray, m: number, k: number): number {
  let s = 0;
  if (output === 'sigmoid') {
    for (let i = 0; i < Z.length; i++) {
      const z = Z[i]!;
      s += (z > 0 ? z : 0) + Math.log1p(Math.exp(-Math.abs(z))) - T[i]! * z;
    }
    return s / (m * k);
  }
  if (output === 'identity') {
    for (let i = 0; i < Z.length; i++) s += (Z[i]! - T[i]!) ** 2;
    return s / (m * k);
  }
  for (let i = 0; i < m; i++) {
    let mx = -Infinity;
    for (let j = 0; j < k; j++) mx = Math.max(mx, Z[j * m + i]!);
    let e = 0, zt = 0;
    for (let j = 0; j < k; j++) {
      e += Math.exp(Z[j * m + i]! - mx);
      zt += T[j * m + i]! * Z[j * m + i]!;
    }
    s += mx + Math.log(e) - zt;
  }
  return s / m;
}

/**
 * The reduction constant `c` of `dZ_L = c·(Ŷ − T)`: the mean over m·k elements for BCE, over m
 * examples for cross-entropy, and 2/(m·k) for the mean squared error (the 2 from d(e²)/de).
 */
function reductionConstant(output: OutputName, m: number, k: number): number {
  return output === 'softmax' ? 1 / m : output === 'sigmoid' ? 1 / (m * k) : 2 / (m * k);
}

/**
 * Runs the fast path's forward pass only (nothing is recorded; no gradient is written).
 * @param model The network whose parameters are used.
 * @param X Input `[m, n_0]`, examples as rows (the fast path reads it as `A_0 = Xᵀ`).
 * @returns The pass (Z, A, Ŷ; `loss` is NaN and `dZ`, `dA` are stale).
 * @throws {@link @tapegrad/core!ShapeError | ShapeError} when X is not `[m, n_0]`.
 * @example
 * ```ts
 * import { randn } from '@tapegrad/core';
 * import { fastForward, MLP } from '@tapegrad/nn';
 * const net = new MLP({ sizes: [4, 8, 1], seed: 1 });
 * console.log(fastForward(net, randn([5, 4])).Yhat.length); // 5
 * ```
 * @category nn
 */
export function fastForward(model: MLP, X: Tensor): FastPass {
  const x = checkInput(model, X);
  const ws = workspace(model, X.shape[0]!);
  forwardInto(model, x, ws);
  return passCopy(ws, NaN);
}

/**
 * The pass as the caller gets it: copies, because the workspace is overwritten by the model's next
 * fast-path call, and what the caller keeps must not change behind its back (a copy is O(n·m), the
 * GEMMs that filled it O(n²·m)).
 */
function passCopy(ws: Workspace, loss: number): FastPass {
  const copy = (a: readonly FloatArray[]): FloatArray[] => a.map((b) => b.slice());
  return { m: ws.m, loss, Z: copy(ws.Z), A: copy(ws.A), Yhat: ws.Yhat.slice(), dZ: copy(ws.dZ), dA: copy(ws.dA) };
}

/**
 * The fast path's loss on a batch: forward only, no gradient, nothing recorded.
 * @param model The network.
 * @param X Input `[m, n_0]`.
 * @param t Targets, as {@link MLP.loss} takes them.
 * @returns The mean loss.
 * @throws {@link @tapegrad/core!ShapeError | ShapeError} for mis-shaped inputs or targets.
 * @example
 * ```ts
 * import { randn, tensor } from '@tapegrad/core';
 * import { fastLoss, MLP } from '@tapegrad/nn';
 * const net = new MLP({ sizes: [4, 8, 1], seed: 1 });
 * console.log(fastLoss(net, randn([2, 4]), tensor([0, 1])) > 0); // true
 * ```
 * @category nn
 */
export function fastLoss(model: MLP, X: Tensor, t: Tensor): number {
  const x = checkInput(model, X);
  const m = X.shape[0]!;
  const k = model.sizes[model.sizes.length - 1]!;
  const ws = workspace(model, m);
  fillTargets(model.output, t, ws.T, m, k);
  forwardInto(model, x, ws);
  return lossOf(model.output, ws.Z[model.depth]!, ws.T, m, k);
}

/**
 * The hand-derived forward and backward pass of an {@link MLP}, written from the derivation with the
 * GEMM kernel and its transpose flags; it records nothing on the tape and shares the model's parameter
 * tensors (no copies). Each parameter's `.grad` receives its gradient (added, like `backward`).
 *
 * Output layer, for the three pairs whose derivatives cancel (no `log`, no division by `ŷ(1 − ŷ)`):
 * `dZ_L = c·(Ŷ − T)`, `c` = 1/(m·k) for sigmoid + BCE, 1/m for softmax + CE, 2/(m·k) for MSE.
 * Hidden layers, l = L…1: `dW_l = dZ_l·A_{l−1}ᵀ`, `db_l = Σ_columns dZ_l`, `dA_{l−1} = W_lᵀ·dZ_l`,
 * `dZ_{l−1} = dA_{l−1} ⊙ g′(Z_{l−1})` with `g′ = A(1 − A)` (sigmoid), `1 − A²` (tanh), `[Z > 0]` (relu,
 * 0 at the kink as the generic engine).
 * @param model The network.
 * @param X Input `[m, n_0]`, examples as rows (read as `A_0 = Xᵀ`).
 * @param t Targets, as {@link MLP.loss} takes them.
 * @returns The pass, with the loss and every intermediate.
 * @throws {@link @tapegrad/core!ShapeError | ShapeError} for mis-shaped inputs or targets; {@link @tapegrad/core!ArgumentError | ArgumentError} for bad labels.
 * @example
 * ```ts
 * import { randn, tensor } from '@tapegrad/core';
 * import { fastStep, MLP } from '@tapegrad/nn';
 * const net = new MLP({ sizes: [4, 8, 1], seed: 1 });
 * const pass = fastStep(net, randn([2, 4]), tensor([0, 1]));
 * console.log(net.layers[0]!.weight.grad!.shape); // [8, 4]
 * ```
 * @category nn
 */
export function fastStep(model: MLP, X: Tensor, t: Tensor): FastPass {
  const ws = stepInto(model, X, t);
  return passCopy(ws, ws.loss);
}

/**
 * The fast path's training step without the pass: writes each parameter's `.grad` exactly as
 * {@link fastStep} does and returns only the loss. Nothing is copied, so a loop pays no allocation per
 * step for intermediates it never reads (the copies {@link fastStep} returns cost W1's 30-64-32-1 network
 * at batch 512 about a third of its step time).
 * @param model The network.
 * @param X Input `[m, n_0]`, examples as rows.
 * @param t Targets, as {@link MLP.loss} takes them.
 * @returns The mean loss.
 * @throws {@link @tapegrad/core!ShapeError | ShapeError} for mis-shaped inputs or targets; {@link @tapegrad/core!ArgumentError | ArgumentError} for bad labels.
 * @example
 * ```ts
 * import { randn, tensor } from '@tapegrad/core';
 * import { fastGrad, MLP } from '@tapegrad/nn';
 * const net = new MLP({ sizes: [4, 8, 1], seed: 1 });
 * const loss = fastGrad(net, randn([2, 4]), tensor([0, 1]));
 * console.log(loss > 0, net.layers[0]!.weight.grad!.shape); // true [8, 4]
 * ```
 * @category nn
 */
export function fastGrad(model: MLP, X: Tensor, t: Tensor): number {
  return stepInto(model, X, t).loss;
}

/**
 * The step of {@link fastStep} for nn's own callers, which read `Yhat` at once: `Yhat` is the workspace's
 * buffer, overwritten by the model's next fast-path call.
 * @internal
 */
export function fastStepShared(model: MLP, X: Tensor, t: Tensor): { readonly loss: number; readonly Yhat: FloatArray } {
  const ws = stepInto(model, X, t);
  return { loss: ws.loss, Yhat: ws.Yhat };
}

/** Forward, loss and backward into the model's workspace (`ws.loss` set); `.grad` of every parameter written. */
function stepInto(model: MLP, X: Tensor, t: Tensor): Workspace {
  const x = checkInput(model, X);
  const m = X.shape[0]!;
  const n = model.sizes;
  const L = n.length - 1;
  const k = n[L]!;
  const ws = workspace(model, m);
  const { Z, A, dZ, dA, T, Yhat } = ws;
  fillTargets(model.output, t, T, m, k);
  forwardInto(model, x, ws);
  const loss = lossOf(model.output, Z[L]!, T, m, k);
  // dZ_L = c·(Ŷ − T), and db_L = Σ_columns dZ_L in the same pass
  const c = reductionConstant(model.output, m, k);
  const dZL = dZ[L]!;
  let dbl = biasGrad(model, L, ws);
  for (let j = 0; j < k; j++) {
    let s = 0;
    for (let i = j * m; i < (j + 1) * m; i++) {
      dZL[i] = c * (Yhat[i]! - T[i]!);
      s += dZL[i]!;
    }
    if (dbl !== null) dbl[j] = s;
  }
  for (let l = L; l >= 1; l--) {
    const dZl = dZ[l]!;
    const nl = n[l]!;
    const nPrev = n[l - 1]!;
    const layer = model.layers[l - 1]!;
    // dW_l = dZ_l·A_{l−1}ᵀ; for l = 1, A_0ᵀ = X itself. Written straight into a new .grad when there is none.
    const dWl = gradTarget(layer.weight, ws.dW[l]!);
    if (l === 1) gemm(dZl, x, dWl, nl, nPrev, m, false, false);
    else gemm(dZl, A[l - 1]!, dWl, nl, nPrev, m, false, true);
    noGrad(() => {
      addGrad(layer.weight, dWl);
      if (dbl !== null) addGrad(layer.bias!, dbl);
    });
    if (l === 1) break;
    // dA_{l−1} = W_lᵀ·dZ_l, then dZ_{l−1} = dA_{l−1} ⊙ g′(Z_{l−1}) and db_{l−1} = Σ_columns dZ_{l−1}, row by row
    const dAp = dA[l - 1]!;
    gemm(layer.weight.data, dZl, dAp, nPrev, m, nl, true, false);
    dbl = biasGrad(model, l - 1, ws);
    derivativeRows(model.activation, dAp, A[l - 1]!, Z[l - 1]!, dZ[l - 1]!, dbl, m);
  }
  ws.loss = loss;
  return ws;
}

/** dZ = dA ⊙ g′ (from A, or Z for relu) over `[n, m]`, with each row's sum written to db when given. */
function derivativeRows(g: MLP['activation'], dA: FloatArray, A: FloatArray, Z: FloatArray, dZ: FloatArray, db: FloatArray | null, m: number): void {
  const rows = dA.length / m;
  for (let j = 0; j < rows; j++) {
    const end = (j + 1) * m;
    // Each element's product and its row sum in one pass; the sum reads the stored value (rounded to
    // float32 in a float32 model), as the generic engine's bias gradient does.
    let s = 0;
    if (g === 'sigmoid') {
      for (let i = j * m; i < end; i++) {
        const a = A[i]!;
        dZ[i] = dA[i]! * (a * (1 - a));
        s += dZ[i]!;
      }
    } else if (g === 'tanh') {
      for (let i = j * m; i < end; i++) {
        const a = A[i]!;
        dZ[i] = dA[i]! * (1 - a * a);
        s += dZ[i]!;
      }
    } else if (g === 'relu') {
      for (let i = j * m; i < end; i++) {
        dZ[i] = Z[i]! > 0 ? dA[i]! : 0;
        s += dZ[i]!;
      }
    } else {
      for (let i = j * m; i < end; i++) {
        dZ[i] = dA[i]!;
        s += dZ[i]!;
      }
    }
    if (db !== null) db[j] = s;
  }
}

/** Where layer l's bias gradient is computed ({@link gradTarget}), or null for a layer without bias. */
function biasGrad(model: MLP, l: number, ws: Workspace): FloatArray | null {
  const bias = model.layers[l - 1]!.bias;
  return bias === null ? null : gradTarget(bias, ws.db[l]!);
}

/** Where a parameter's gradient is computed: a fresh array that becomes `.grad` when there is none yet, else the workspace. */
function gradTarget(p: Tensor, scratch: FloatArray): FloatArray {
  return p.grad === null ? (p.dtype === 'float32' ? new Float32Array(scratch.length) : new Float64Array(scratch.length)) : scratch;
}

/** `.grad += g`, or `.grad = g` when g is the fresh array {@link gradTarget} gave. */
function addGrad(p: Tensor, g: FloatArray): void {
  if (p.grad === null) {
    p.grad = fromBuffer(g, p.shape);
    return;
  }
  const d = p.grad.data;
  for (let i = 0; i < d.length; i++) d[i] = d[i]! + g[i]!;
}
