// The scalar lane of the tape: Value ops as rows of parallel typed arrays, and its two-loop backward.
import { GradError } from '../base/errors.ts';
import type { ElementwiseOp } from '../ops/define.ts';
import { laneOps } from './bindings.ts';
import { state } from './tape.ts';
import type { Value } from './value.ts';

/**
 * The scalar lane of the tape: parallel typed arrays, one row per recorded `Value` op.
 *
 * A row holds its kind (an op's lane id, OTHER, LEAF, FREED or STALE), the rows of its inputs (-1 for a
 * constant), the local partials ∂y/∂a and ∂y/∂b that the op's rule gives when the row is recorded (the
 * inputs and the output are at hand then, so backward needs no call per row), its output, the gradient
 * slot used during backward, and a generation number that tells a `Value` handle whether the row is
 * still its own. Leaves are referenced from `refs[row]` so backward can accumulate into their `.grad`.
 * Recording allocates nothing but the `Value` itself (the arrays grow by doubling and are reused from
 * step to step), and writes seven numbers per row: the kind, the generation, two inputs, two partials and
 * the output. What the features beyond backward need (the op and the constant operand for `valueGraph`
 * and `explain`, the pass that last saw a row for `sweep`, a zero gradient until a pass runs) is kept
 * in those or written in bulk by the backward pass; each comment below gives the measurement.
 * @internal
 */
/**
 * Row kind of an op row whose op is in `rowOp[row]`. The kinds below it are lane ids (see `LANE_OPS` in
 * graph/bindings.ts): a `Value` method records its op's id in the kind byte that recording writes anyway,
 * a constant at its call site (a JS array of op objects, one store per row, cost 2-4 % of micrograd's
 * step); `valueGraph` and `explain` map the id back to the op. An op recorded through a free function
 * (`exp(v)`, or any op made with `defineUnary`/`defineBinary`) is an OTHER row.
 * @internal
 */
export const OTHER = 252;
/** Row kind of a leaf `Value` (a parameter or input) registered on first use. @internal */
export const LEAF = 255;
/** Row kind of a row whose graph was released by a backward pass. @internal */
export const FREED = 254;
/** Row kind of an op row released because no backward pass reached it for a long time (see `sweep`). @internal */
export const STALE = 253;

/**
 * A `Value` graph that is never backpropagated (an accuracy evaluated every epoch, as micrograd users do)
 * cannot be told apart from one that will be: its handles are plain objects the lane does not track. So
 * an op row that no backward pass has reached for `STALE_AFTER` passes since it was recorded is released
 * (checked every `SWEEP_EVERY` passes); backward through it then fails with a message saying so. Released
 * rows at the top of the lane are dropped, and a released prefix is cut off (`trimPrefix`), so memory stays
 * bounded and each backward pass walks only the rows it reaches.
 */
const STALE_AFTER = 16;
const SWEEP_EVERY = 16;
const TRIM_MIN = 1024;

let cap = 1024;
// An op row's lane id (see LANE_OPS) or OTHER; LEAF, FREED or STALE otherwise. An op row is live iff its
// kind is below STALE.
let code = new Uint8Array(cap);
// The rows of a row's inputs a and b, side by side: ins[2·row], ins[2·row + 1].
let ins = new Int32Array(2 * cap);
// The local partials ∂y/∂a and ∂y/∂b of each row side by side (one array to write when recording, one to
// read when walking), evaluated by the op's rule when the row is recorded (the inputs and the output are
// at hand then, so the backward loop is plain multiply-adds). The partial of a constant operand (a number,
// or a value that does not require grad) is 0 by definition and never read by the walk, so its slot holds
// the constant itself, for the graph drawer and `explain`: no store of its own.
let nums = new Float64Array(2 * cap);
const PA = 0;
const PB = 1;
// Each row's output, for the graph drawer and `explain`; apart from `nums`, so the walk reads 16 bytes per
// row, not 24.
let outs = new Float64Array(cap);
// The gradients of the most recent pass that reached each row. The rows from `floor` up were recorded since
// the last pass and have none yet: they read as 0 (see `gradAt`) and the next pass clears them in one fill
// before it accumulates, so recording writes nothing here.
let grad = new Float64Array(cap);
// The op of an OTHER row (undefined on every other row).
let rowOp: (RowOp | undefined)[] = new Array<RowOp | undefined>(cap).fill(undefined);
// A pass accumulates in `grad` (what intermediate handles read), so an unrelated pass changes no
// gradient; a failing pass puts back what it overwrote below the floor (the rows from the floor up read
// as 0 until a pass succeeds): the rows it reached there (few), listed as (row, gradient) pairs.
const savedBelow: number[] = [];
// reach[row] === stamp marks the rows the pass in flight reaches: a new stamp per pass, so nothing to
// clear but once every 255 passes. Bytes, not 32-bit stamps: the walk touches a quarter of the memory.
let reach = new Uint8Array(cap);
let stamp = 0;
let rowGen = new Int32Array(cap);
let nextGen = 1;
// The backward pass count when each row was recorded or last reached by a pass that kept it. The rows
// recorded since the last pass (from `floor` up) were all recorded at the same count, so a pass writes
// theirs in one fill when it starts instead of recording writing one per row (which cost ~2 % of
// micrograd's step); read only by `sweep`.
let lastSeen = new Int32Array(cap);
let passes = 0;
// Handles hold `base + row`: cutting off a released prefix shifts the rows without touching any handle.
let base = 0;
// Rows below `floor` existed when the last backward pass ended: a leaf whose row is down there gets a
// fresh row on its next use, so a training step's graph does not reach down into older rows.
let floor = 0;
// Only leaves (and non-leaves that asked to keep their gradient) are referenced from the tape, so the
// intermediate handles of a long computation can be collected young: holding millions of them alive
// costs far more in garbage collection than the arithmetic.
let refs: (Value | undefined)[] = new Array<Value | undefined>(cap).fill(undefined);

/** The number of rows on the scalar lane. @internal */
export const scalarLane: { length: number } = { length: 0 };

function grow(): void {
  const n = cap * 2;
  const grown = <T extends Uint8Array | Int32Array | Float64Array>(a: T, make: (n: number) => T, per = 1): T => {
    const b = make(n * per);
    b.set(a);
    return b;
  };
  code = grown(code, (k) => new Uint8Array(k));
  ins = grown(ins, (k) => new Int32Array(k), 2);
  nums = grown(nums, (k) => new Float64Array(k), 2);
  outs = grown(outs, (k) => new Float64Array(k));
  grad = grown(grad, (k) => new Float64Array(k));
  rowGen = grown(rowGen, (k) => new Int32Array(k));
  lastSeen = grown(lastSeen, (k) => new Int32Array(k));
  reach = new Uint8Array(n);
  for (let i = cap; i < n; i++) {
    refs.push(undefined);
    rowOp.push(undefined);
  }
  cap = n;
}

/** Appends a row (the caller fills in its inputs and partials) and hands it to `out`. */
function newRow(c: number, out: Value): number {
  const row = scalarLane.length;
  if (row === cap) grow();
  scalarLane.length = row + 1;
  code[row] = c;
  const gen = nextGen;
  nextGen = (gen + 1) | 0;
  rowGen[row] = gen;
  out.slot = base + row;
  out.gen = gen;
  return row;
}

/**
 * The row a `Value` input stands at: -1 for a constant (a value that does not require grad), its own
 * row while that is live, or a new one from {@link registerRow}.
 */
function rowOf(v: Value): number {
  if (!v.requiresGrad) return -1;
  const s = v.slot - base;
  if (s >= 0 && s < scalarLane.length && rowGen[s] === v.gen) {
    // An op row while it is not released (a kind below STALE); a leaf's row while it is above the floor.
    // (LEAF sorts above the released kinds: a test of `code < STALE` alone once sent every use of a
    // parameter to a new row.)
    const c = code[s]!;
    if (c < STALE || (c === LEAF && s >= floor)) return s;
  }
  return registerRow(v);
}

/**
 * A row for an input that has none: a leaf seen for the first time since its last row was dropped
 * gets a LEAF row (referenced, so backward can hand it its gradient); a non-leaf whose graph was
 * released gets a FREED row, so backward through it fails. Out of line: it is the rare case.
 */
function registerRow(v: Value): number {
  const row = newRow(v.isLeaf ? LEAF : FREED, v);
  ins[2 * row] = -1;
  ins[2 * row + 1] = -1;
  refs[row] = v.isLeaf ? v : undefined;
  return row;
}

/** Whether the value's row on the lane is still its own (rows are reused after a release). */
function isLive(v: Value): boolean {
  const s = v.slot - base;
  return s >= 0 && s < scalarLane.length && rowGen[s] === v.gen;
}

/**
 * The gradient a non-leaf received in the most recent backward pass, while its row has not been
 * reused by newer operations; 0 otherwise.
 * @internal
 */
export function rowGrad(v: Value): number {
  const s = v.slot - base;
  return s >= 0 && s < cap && rowGen[s] === v.gen ? gradAt(s) : 0;
}

/** A row's gradient from the most recent pass that reached it: 0 for a row recorded since the last pass. */
function gradAt(s: number): number {
  return s >= floor && s < scalarLane.length ? 0 : grad[s]!;
}

/** Makes the lane write this non-leaf's gradient back into the handle, as for leaves. @internal */
export function retainRow(v: Value): void {
  if (isLive(v)) refs[v.slot - base] = v;
}

// The input rows of the op being recorded, from `isRecorded` to `pushOpRow`: the op's method evaluates
// its partials in between, so the lane needs no call through a shared rule object (V8 sees one op per
// call site and inlines its forward and partials).
let rowA = -1;
let rowB = -1;

/**
 * Whether `op(a, b)` is recorded: recording is on and an input requires grad. If so, the inputs' rows
 * are kept (leaves registered) for the {@link pushOpRow} that must follow.
 * @internal
 */
export function isRecorded(a: Value | number, b: Value | number): boolean {
  if (!state.isRecording) return false;
  rowA = typeof a === 'number' ? -1 : rowOf(a);
  rowB = typeof b === 'number' ? -1 : rowOf(b);
  return rowA >= 0 || rowB >= 0;
}

/**
 * Records `out` as the op (lane id `id`, see `LANE_OPS`) whose inputs {@link isRecorded} just saw, with
 * its operands `a`, `b`, output `y` and local partials `pa`, `pb`. An op's row needs no handle in `refs`
 * (rows are reused only after release has cleared theirs).
 * @internal
 */
export function pushOpRow(id: number, pa: number, pb: number, out: Value, a: number, b: number, y: number): Value {
  const row = newRow(id, out);
  const i = 2 * row;
  ins[i] = rowA;
  ins[i + 1] = rowB;
  const ns = nums;
  ns[i + PA] = rowA < 0 ? a : pa;
  ns[i + PB] = rowB < 0 ? b : pb;
  outs[row] = y;
  return out;
}

/** {@link pushOpRow} for an op that is not in `LANE_OPS` (an OTHER row): the row keeps the op itself. @internal */
export function pushOtherRow(op: ElementwiseOp, pa: number, pb: number, out: Value, a: number, b: number, y: number): Value {
  pushOpRow(OTHER, pa, pb, out, a, b, y);
  rowOp[out.slot - base] = op;
  return out;
}

const RELEASED_MESSAGE =
  'backward: this graph was already released by an earlier backward(); ' +
  'pass { retainGraph: true } to the first backward() to run it twice';
const STALE_MESSAGE =
  `backward: this graph was released because no backward pass reached it during ${STALE_AFTER} backward passes of other graphs ` +
  '(a Value computation that is never backpropagated is freed, so evaluating without noGrad does not grow the tape); ' +
  'backpropagate a graph soon after recording it';

/**
 * Backpropagates from `root` through the scalar lane: one loop from the root's row down to 0 marks the
 * rows that lead to the root and accumulates their gradients in the lane (refusing a released row before
 * anything the user sees is written); one loop up hands the gradients to the handles that keep them and
 * releases the rows. Every reached `Value` gets `.grad += ∂root/∂value · seed`.
 * @internal
 */
export function scalarBackward(root: Value, seed: number, retainGraph: boolean): void {
  if (!root.requiresGrad) {
    throw new GradError('backward: the value does not require grad (it is a constant, detached, or made under noGrad)');
  }
  const s = root.slot - base;
  lastSeen.fill(passes, floor, scalarLane.length);
  if (!isLive(root) || code[s]! >= STALE) {
    if (root.isLeaf) {
      root.grad += seed;
      return;
    }
    throw new GradError(isLive(root) && code[s] === STALE ? STALE_MESSAGE : RELEASED_MESSAGE);
  }
  // The two loops are functions of their own: a loop V8 compiles on the fly (on-stack replacement) while
  // the code after it has never run would leave that code without type feedback, and the cached
  // compiled loop would then bail out at it on every pass (measured: two deoptimizations per backward).
  stamp = (stamp + 1) & 255;
  if (stamp === 0) {
    reach.fill(0);
    stamp = 1;
  }
  const low = accumulate(s, seed, stamp);
  const pass = ++passes;
  handOut(low, s, stamp, pass, !retainGraph);
  if (!retainGraph) dropReleasedTop();
  if (pass % SWEEP_EVERY === 0) sweep();
  floor = scalarLane.length;
}

/**
 * Walks from the root's row `s` down: marks the rows that lead to the root with `st` and
 * accumulates their gradients in `grad`. A released row met on the way throws, after putting back every
 * gradient the pass overwrote, so nothing the user sees has changed. Returns the lowest row reached.
 *
 * Rows from the floor up were recorded since the last pass, and the graph being backpropagated is
 * most of them (a training step's): their gradients are cleared up front (one fill) and they are walked without asking
 * whether an input was reached before, a branch as good as random. Rows below the floor belong to older
 * graphs: an input down there is counted when first reached ({@link reachBelow}), and the walk stops
 * once none is left, so the rows of other graphs cost nothing. Nothing is cleared or copied per row but
 * the gradients from the floor up: marks are per-pass stamps, and a failing pass has only the rows below
 * the floor to put back (a copy of the gradients and a fill of 32-bit marks before every pass made
 * micrograd's backward ~5 % slower).
 */
function accumulate(s: number, seed: number, st: number): number {
  // Locals, not the module's reassignable bindings, so the loop runs on fixed arrays.
  const codes = code;
  const io = ins;
  const ns = nums;
  const marks = reach;
  const g = grad;
  const fl = Math.min(floor, s);
  savedBelow.length = 0;
  g.fill(0, floor, scalarLane.length);
  // A root below the floor (a kept graph run again) holds a gradient a handle may read.
  if (s < floor) savedBelow.push(s, g[s]!);
  marks[s] = st;
  g[s] = seed;
  let pending = 0;
  let low = s;
  for (let i = s; i >= 0; i--) {
    if (i < fl && pending === 0) break;
    if (marks[i] !== st) continue;
    if (i < fl) pending--;
    low = i;
    const c = codes[i]!;
    if (c === LEAF) continue;
    if (c >= STALE) {
      restoreGrads();
      throw new GradError(c === STALE ? STALE_MESSAGE : RELEASED_MESSAGE);
    }
    const gi = g[i]!;
    const a = io[2 * i]!;
    const b = io[2 * i + 1]!;
    if (a >= fl) marks[a] = st;
    else if (a >= 0) pending += reachBelow(a, st);
    if (b >= fl) marks[b] = st;
    else if (b >= 0) pending += reachBelow(b, st);
    // A zero upstream gradient means no dependence: skipping it keeps 0·∞ (log at 0 behind a relu
    // or a where) from turning into NaN, as the tensor rules do.
    if (gi === 0) continue;
    if (a >= 0) g[a] = g[a]! + gi * ns[2 * i + PA]!;
    if (b >= 0) g[b] = g[b]! + gi * ns[2 * i + PB]!;
  }
  return low;
}

/**
 * Marks a row below the floor as reached by the pass in flight; on its first reach its gradient is
 * listed (for a failing pass to put back) and starts at 0. Returns 1 on the first reach, else 0.
 */
function reachBelow(r: number, st: number): number {
  if (reach[r] === st) return 0;
  reach[r] = st;
  savedBelow.push(r, grad[r]!);
  grad[r] = 0;
  return 1;
}

/** Puts back the gradients a failing pass overwrote below the floor (see {@link savedBelow}). */
function restoreGrads(): void {
  for (let k = 0; k < savedBelow.length; k += 2) grad[savedBelow[k]!] = savedBelow[k + 1]!;
}

/**
 * The loop up over the rows {@link accumulate} marked, once it has succeeded: hands the gradients to the
 * handles that keep them (leaves and retained values) and, when releasing, marks the reached op rows
 * released.
 */
function handOut(low: number, s: number, st: number, pass: number, isReleasing: boolean): void {
  const codes = code;
  const marks = reach;
  const g = grad;
  const seen = lastSeen;
  const handles = refs;
  // Two loops rather than a test per row (measured: the test cost a third of this loop's time).
  if (isReleasing) {
    for (let i = low; i <= s; i++) {
      if (marks[i] !== st) continue;
      const ref = handles[i];
      if (ref !== undefined) ref.accGrad = ref.accGrad! + g[i]!;
      if (codes[i] !== LEAF) codes[i] = FREED;
    }
  } else {
    // A released row is never swept, so only a kept graph's rows need the pass that reached them.
    for (let i = low; i <= s; i++) {
      if (marks[i] !== st) continue;
      const ref = handles[i];
      if (ref !== undefined) ref.accGrad = ref.accGrad! + g[i]!;
      seen[i] = pass;
    }
  }
}

/**
 * Releases the op rows no backward pass has reached for {@link STALE_AFTER} passes, then drops the
 * released top and cuts off the released prefix.
 */
function sweep(): void {
  const limit = passes - STALE_AFTER;
  const codes = code;
  const seen = lastSeen;
  const n = scalarLane.length;
  for (let i = 0; i < n; i++) if (codes[i]! < STALE && seen[i]! < limit) codes[i] = STALE;
  dropReleasedTop();
  trimPrefix();
}

/**
 * Cuts off the rows below the lowest row anything live still needs (a live op row or one of its
 * inputs): the rest shift down and `base` grows by as much, so every handle still finds its row.
 * Handles of the rows cut off no longer find theirs (a leaf gets a fresh row on its next use).
 */
function trimPrefix(): void {
  const n = scalarLane.length;
  if (n < TRIM_MIN) return;
  const codes = code;
  let need = n;
  for (let i = 0; i < n; i++) {
    if (codes[i]! >= STALE) continue;
    need = Math.min(need, i);
    const a = ins[2 * i]!;
    const b = ins[2 * i + 1]!;
    if (a >= 0 && a < need) need = a;
    if (b >= 0 && b < need) need = b;
  }
  const cut = need;
  if (cut < n / 4) return;
  for (const arr of [code, outs, grad, rowGen, lastSeen]) arr.copyWithin(0, cut, n);
  ins.copyWithin(0, 2 * cut, 2 * n);
  nums.copyWithin(0, 2 * cut, 2 * n);
  rowOp.copyWithin(0, cut, n);
  const m = n - cut;
  for (let i = 0; i < 2 * m; i++) {
    // Only rows that are not live can point below the cut; they are never walked.
    const a = ins[i]!;
    if (a >= 0) ins[i] = a >= cut ? a - cut : -1;
  }
  for (let i = 0; i < m; i++) {
    refs[i] = refs[i + cut];
  }
  for (let i = m; i < n; i++) refs[i] = undefined;
  base += cut;
  scalarLane.length = m;
  floor = Math.max(0, floor - cut);
}

/** Drops the released (and leaf) rows at the top of the lane, so the next op reuses them. */
function dropReleasedTop(): void {
  const codes = code;
  let n = scalarLane.length;
  while (n > 0 && codes[n - 1]! >= STALE) {
    n--;
    // Only leaf rows hold a handle; reading first avoids a store per row.
    if (refs[n] !== undefined) refs[n] = undefined;
  }
  scalarLane.length = n;
}

/** What a row remembers of its op, for the graph drawer and `explain`. @internal */
export interface RowOp {
  readonly name: string;
  readonly rule: string;
  readonly arity: 1 | 2;
}

/** One row of a `Value` graph read back from the lane (see {@link scalarRowsOf}). @internal */
export interface ScalarRow {
  /** Row index on the lane (creation order). */
  readonly row: number;
  /** The row's generation (a handle with this slot and generation stands at this row). */
  readonly gen: number;
  /** The row's op; null for a leaf. */
  readonly op: RowOp | null;
  /** Rows of the inputs; -1 for a constant operand (or the absent second operand of a unary op). */
  readonly inputs: readonly [number, number];
  /** The local partials ∂y/∂a and ∂y/∂b recorded with the row. */
  readonly partials: readonly [number, number];
  /** The constant operand of a binary op with one constant input. */
  readonly constant: number;
  /** The row's value (a leaf's current `.data`). */
  readonly data: number;
  /** The handle's `.grad` for leaves and retained values, else the most recent backward's gradient of the row. */
  readonly grad: number;
  /** The handle of a leaf (or retained value). */
  readonly handle: Value | undefined;
}

/** The row a value stands at while it is live and not released, else -1. @internal */
export function liveRow(v: Value): number {
  return isLive(v) && code[v.slot - base] !== FREED && code[v.slot - base] !== STALE ? v.slot : -1;
}

/**
 * The rows `root` depends on, in creation order, read without changing anything (an explicit stack, no
 * recursion). Empty when root has no live row (a leaf never used, or a constant).
 * @throws GradError when the graph behind root was released by a backward pass.
 * @internal
 */
export function scalarRowsOf(root: Value, what: string): ScalarRow[] {
  const s = root.slot - base;
  if (!isLive(root) || code[s] === FREED || code[s] === STALE) {
    if (root.isLeaf || !root.requiresGrad) return [];
    throw new GradError(`${what}: the graph behind this value was released by backward(); draw it before backward() or pass { retainGraph: true }`);
  }
  const seen = new Set<number>([s]);
  const stack = [s];
  while (stack.length > 0) {
    const i = stack.pop()!;
    if (code[i] === FREED || code[i] === STALE) throw new GradError(`${what}: the graph behind this value was released by backward(); draw it before backward() or pass { retainGraph: true }`);
    if (code[i] === LEAF) continue;
    for (const j of [ins[2 * i]!, ins[2 * i + 1]!]) {
      if (j >= 0 && !seen.has(j)) {
        seen.add(j);
        stack.push(j);
      }
    }
  }
  return [...seen].sort((p, q) => p - q).map((i) => {
    const handle = refs[i];
    const c = code[i]!;
    const a = ins[2 * i]!;
    const b = ins[2 * i + 1]!;
    const op = c === LEAF ? null : c === OTHER ? rowOp[i]! : laneOps[c]!;
    return {
      row: base + i,
      gen: rowGen[i]!,
      op,
      inputs: [a < 0 ? -1 : base + a, b < 0 ? -1 : base + b] as const,
      partials: [a < 0 ? 0 : nums[2 * i + PA]!, b < 0 ? 0 : nums[2 * i + PB]!] as const,
      // A unary op has no second operand: its slot holds 0.
      constant: a < 0 && op !== null ? nums[2 * i + PA]! : b < 0 && op !== null && op.arity === 2 ? nums[2 * i + PB]! : 0,
      data: c === LEAF && handle !== undefined ? handle.data : outs[i]!,
      grad: handle !== undefined ? handle.grad : gradAt(i),
      handle,
    };
  });
}

/** Drops every row of the scalar lane (values made before keep their data; their graphs are gone). @internal */
export function clearScalarLane(): void {
  for (let i = 0; i < scalarLane.length; i++) refs[i] = undefined;
  scalarLane.length = 0;
  floor = 0;
}
