/**
 * Random programs for the engine fuzzer. A program is decoded from a list of small integers (the
 * "choices") and a data seed, so fast-check shrinks a failing program by shrinking that list: fewer
 * choices give fewer steps and earlier registers. Every step reads registers (inputs or earlier steps,
 * so intermediates fan out and are reused) and writes a new one; shapes follow NumPy broadcasting from a
 * random base shape. `detach` and `noGrad` steps are held fixed by the finite differences, as the
 * engine treats them. Each program is also run with in-place hooks, tied inputs and async callbacks
 * ({@link checkVariants}). A failing program prints as TypeScript.
 */
import * as core from '@tapegrad/core';
import { Rng, noGrad, tensor, type Shape, type Tensor } from '@tapegrad/core';
import fc from 'fast-check';

/** One step: reads registers `args`, writes one register. */
export interface Step {
  readonly args: readonly number[];
  /** The TypeScript expression, given the registers' names. */
  readonly code: (names: readonly string[]) => string;
  readonly run: (xs: readonly Tensor[]) => Tensor;
  /** Distance of the step's inputs to a kink of the function (finite differences are unreliable closer). */
  readonly kink?: (xs: readonly Tensor[]) => number;
  /** detach and noGrad: the result is a constant, and probes reuse its unperturbed value. */
  readonly isFrozen?: boolean;
}

/** A decoded program. */
export interface Program {
  readonly seed: number;
  readonly inputs: readonly Tensor[];
  readonly steps: readonly Step[];
  /** Why finite differences cannot judge this program (near a kink, huge values); undefined when fine. */
  readonly rejected: string | undefined;
}

type UnaryEntry = { readonly name: string; readonly minRank?: number; readonly run: (x: Tensor) => Tensor; readonly code: (x: string) => string; readonly kink?: (x: Tensor) => number };
type BinaryEntry = { readonly name: string; readonly run: (a: Tensor, b: Tensor) => Tensor; readonly code: (a: string, b: string) => string; readonly kink?: (a: Tensor, b: Tensor) => number };

const minAbs = (t: Tensor): number => t.data.reduce((m, v) => Math.min(m, Math.abs(v)), Infinity);
const diffKink = (a: Tensor, b: Tensor): number => noGrad(() => minAbs(a.sub(b)));
/** Smallest gap between two distinct elements: a max/min reduction has a kink at ties. */
const gapKink = (x: Tensor): number => {
  const d = Array.from(x.data).sort((p, q) => p - q);
  let m = Infinity;
  for (let i = 1; i < d.length; i++) m = Math.min(m, d[i]! - d[i - 1]!);
  return m;
};

// Domain-safe forms: the argument of log/sqrt/pow is kept positive by construction, and the printed code
// shows exactly that form.
export const UNARY: readonly UnaryEntry[] = [
  { name: 'neg', run: (x) => x.neg(), code: (x) => `${x}.neg()` },
  { name: 'exp', run: (x) => x.exp(), code: (x) => `${x}.exp()` },
  { name: 'log', run: (x) => x.square().add(0.5).log(), code: (x) => `${x}.square().add(0.5).log()` },
  { name: 'log1p', run: (x) => x.square().log1p(), code: (x) => `${x}.square().log1p()` },
  { name: 'sqrt', run: (x) => x.square().add(0.25).sqrt(), code: (x) => `${x}.square().add(0.25).sqrt()` },
  { name: 'abs', run: (x) => x.abs(), code: (x) => `${x}.abs()`, kink: minAbs },
  { name: 'square', run: (x) => x.square(), code: (x) => `${x}.square()` },
  { name: 'sigmoid', run: (x) => x.sigmoid(), code: (x) => `${x}.sigmoid()` },
  { name: 'tanh', run: (x) => x.tanh(), code: (x) => `${x}.tanh()` },
  { name: 'relu', run: (x) => x.relu(), code: (x) => `${x}.relu()`, kink: minAbs },
  { name: 'softplus', run: (x) => x.softplus(), code: (x) => `${x}.softplus()` },
  { name: 'sin', run: (x) => x.sin(), code: (x) => `${x}.sin()` },
  { name: 'cos', run: (x) => x.cos(), code: (x) => `${x}.cos()` },
  { name: 'pow', run: (x) => x.square().add(0.5).pow(1.5), code: (x) => `${x}.square().add(0.5).pow(1.5)` },
  {
    name: 'clamp',
    run: (x) => core.clamp(x, -0.5, 0.8),
    code: (x) => `clamp(${x}, -0.5, 0.8)`,
    kink: (x) => Math.min(minAbs(noGrad(() => x.add(0.5))), minAbs(noGrad(() => x.sub(0.8)))),
  },
  { name: 'softmax', minRank: 1, run: (x) => core.softmax(x, -1), code: (x) => `softmax(${x}, -1)` },
  { name: 'logSoftmax', minRank: 1, run: (x) => core.logSoftmax(x, -1), code: (x) => `logSoftmax(${x}, -1)` },
];

export const BINARY: readonly BinaryEntry[] = [
  { name: 'add', run: (a, b) => a.add(b), code: (a, b) => `${a}.add(${b})` },
  { name: 'sub', run: (a, b) => a.sub(b), code: (a, b) => `${a}.sub(${b})` },
  { name: 'mul', run: (a, b) => a.mul(b), code: (a, b) => `${a}.mul(${b})` },
  { name: 'div', run: (a, b) => a.div(b.square().add(0.5)), code: (a, b) => `${a}.div(${b}.square().add(0.5))` },
  { name: 'pow', run: (a, b) => a.square().add(0.5).pow(b.tanh()), code: (a, b) => `${a}.square().add(0.5).pow(${b}.tanh())` },
  { name: 'maximum', run: (a, b) => a.maximum(b), code: (a, b) => `${a}.maximum(${b})`, kink: diffKink },
  { name: 'minimum', run: (a, b) => a.minimum(b), code: (a, b) => `${a}.minimum(${b})`, kink: diffKink },
  {
    name: 'where',
    run: (a, b) => core.where(core.gt(a, b), a.mul(2), b.sin()),
    code: (a, b) => `where(gt(${a}, ${b}), ${a}.mul(2), ${b}.sin())`,
    kink: diffKink,
  },
];

const CONSTANTS = [0.5, -1.5, 2, 3] as const;

/** Reads the choices: `next(n)` is the next choice modulo n, 0 once they run out. */
class Choices {
  #i = 0;
  constructor(readonly list: readonly number[]) {}
  next(n: number): number {
    if (n <= 1) return 0;
    const c = this.list[this.#i++];
    return c === undefined ? 0 : c % n;
  }
  get isDone(): boolean {
    return this.#i >= this.list.length;
  }
}

const fmt = (s: Shape): string => `[${s.join(', ')}]`;
const same = (a: Shape, b: Shape): boolean => a.length === b.length && a.every((d, i) => d === b[i]);
const broadcasts = (a: Shape, b: Shape): boolean => {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) return false;
  }
  return true;
};

/** The raw material fast-check generates and shrinks. */
export interface Genes {
  readonly seed: number;
  readonly base: readonly number[];
  readonly choices: readonly number[];
}

/** Largest |value| allowed anywhere in a program: beyond it, finite differences lose their accuracy. */
const MAX_MAGNITUDE = 1e3;
/** Closest distance to a kink allowed: the central difference steps 1e-6 to either side. */
const MIN_KINK = 1e-4;
const MAX_STEPS = 12;

/** Decodes genes into a program, evaluating it once (without recording) to know shapes and to reject it when finite differences cannot judge it. */
export function decode(genes: Genes): Program {
  const rng = new Rng(genes.seed);
  const ch = new Choices(genes.choices);
  const base = genes.base;
  const inputs: Tensor[] = [];
  const newInput = (shape: Shape): number => {
    const n = shape.reduce((p, d) => p * d, 1);
    inputs.push(tensor(Array.from({ length: n }, () => rng.normal()), { shape }));
    return inputs.length - 1;
  };
  const nInputs = 1 + ch.next(3);
  for (let k = 0; k < nInputs; k++) {
    const lead = ch.next(base.length + 1);
    newInput(base.slice(lead).map((d) => (ch.next(3) === 0 ? 1 : d)));
  }
  // Register values: inputs first, then one per step; evaluated here without recording.
  const steps: Step[] = [];
  const values: Tensor[] = [...inputs];
  let rejected: string | undefined;
  const pick = (): number => values.length - 1 - ch.next(values.length);
  // Registers are [initial inputs..., steps...]; a fresh matmul weight is an input added later, read
  // through a negative register number -1 − (its input index) until renumber() puts all inputs first.
  const read = (k: number): Tensor => (k < 0 ? inputs[-1 - k]! : values[k]!);
  const push = (step: Step): void => {
    const xs = step.args.map(read);
    const y = noGrad(() => step.run(xs));
    const kink = step.kink?.(xs) ?? Infinity;
    if (rejected === undefined && kink < MIN_KINK) rejected = `step ${steps.length} is ${kink.toExponential(2)} from a kink`;
    const big = y.data.some((v) => !(Math.abs(v) <= MAX_MAGNITUDE));
    if (rejected === undefined && big) rejected = `step ${steps.length} leaves [-1e3, 1e3]`;
    steps.push(step);
    values.push(y);
  };
  const nInitial = values.length;
  while (!ch.isDone && steps.length < MAX_STEPS) {
    const kind = ch.next(9);
    const a = pick();
    const xa = values[a]!;
    const rank = xa.rank;
    if (kind === 0 || kind === 8) {
      const candidates = UNARY.filter((u) => rank >= (u.minRank ?? 0));
      const u = candidates[ch.next(candidates.length)]!;
      push({ args: [a], run: ([x]) => u.run(x!), code: ([x]) => u.code(x!), ...(u.kink ? { kink: ([x]) => u.kink!(x!) } : {}) });
    } else if (kind === 1) {
      const op = BINARY[ch.next(BINARY.length)]!;
      let b = pick();
      if (!broadcasts(xa.shape, values[b]!.shape)) b = a;
      const kink = op.kink && a !== b ? { kink: ([x, y]: readonly Tensor[]) => op.kink!(x!, y!) } : {};
      push({ args: [a, b], run: ([x, y]) => op.run(x!, y!), code: ([x, y]) => op.code(x!, y!), ...kink });
    } else if (kind === 2) {
      const c = CONSTANTS[ch.next(CONSTANTS.length)]!;
      const which = ch.next(3);
      if (which === 0) push({ args: [a], run: ([x]) => x!.add(c), code: ([x]) => `${x}.add(${c})` });
      else if (which === 1) push({ args: [a], run: ([x]) => x!.mul(c), code: ([x]) => `${x}.mul(${c})` });
      else push({ args: [a], run: ([x]) => core.sub(c, x!), code: ([x]) => `sub(${c}, ${x})` });
    } else if (kind === 3) {
      const ops = ['sum', 'mean', 'max', 'min', 'logsumexp'] as const;
      const op = ops[ch.next(ops.length)]!;
      const axis = rank === 0 || ch.next(2) === 0 ? undefined : ch.next(rank) - (ch.next(2) === 0 ? 0 : rank);
      const keepdims = ch.next(2) === 1;
      const fn = core[op] as (x: Tensor, axis?: number, keepdims?: boolean) => Tensor;
      const kink = op === 'max' || op === 'min' ? { kink: ([x]: readonly Tensor[]) => gapKink(x!) } : {};
      push({
        args: [a],
        run: ([x]) => fn(x!, axis, keepdims),
        code: ([x]) => `${op}(${x}${axis === undefined ? (keepdims ? ', undefined, true' : '') : `, ${axis}${keepdims ? ', true' : ''}`})`,
        ...kink,
      });
    } else if (kind === 4) {
      pushShapeStep(ch, a, xa, values, push);
    } else if (kind === 5) {
      if (rank === 0) {
        push({ args: [a], run: ([x]) => x!.tanh(), code: ([x]) => `${x}.tanh()` });
        continue;
      }
      const k = xa.shape[rank - 1]!;
      const fits = values
        .map((v, i) => [v, i] as const)
        .filter(([v]) => v.rank >= 1 && (v.rank === 1 ? v.shape[0] === k : v.shape[v.rank - 2] === k && broadcasts(xa.shape.slice(0, -2), v.shape.slice(0, -2))));
      const b = fits.length > 0 && ch.next(3) !== 0 ? fits[ch.next(fits.length)]![1] : -1 - newInput([k, 1 + ch.next(3)]);
      push({ args: [a, b], run: ([x, y]) => x!.matmul(y!), code: ([x, y]) => `${x}.matmul(${y})` });
    } else if (kind === 6) {
      if (ch.next(2) === 0) push({ args: [a], run: ([x]) => x!.detach(), code: ([x]) => `${x}.detach()`, isFrozen: true });
      else {
        const u = UNARY[ch.next(UNARY.length)]!;
        if (rank < (u.minRank ?? 0)) continue;
        push({ args: [a], run: ([x]) => noGrad(() => u.run(x!)), code: ([x]) => `noGrad(() => ${u.code(x!)})`, isFrozen: true });
      }
    } else if (kind === 7) {
      pushLossStep(ch, a, xa, values, push);
    }
  }
  if (steps.length === 0) push({ args: [values.length - 1], run: ([x]) => x!.tanh(), code: ([x]) => `${x}.tanh()` });
  // Fan-in: every step no later step reads (reads by detach/noGrad do not count, as no gradient flows
  // through them) is summed into the output, so every op's gradient is checked.
  const used = new Set(steps.filter((st) => !st.isFrozen).flatMap((st) => st.args));
  const dangling = steps.map((_, i) => i).filter((i) => i < steps.length - 1 && !steps[i]!.isFrozen && !used.has(nInitial + i));
  for (const i of dangling) {
    push({ args: [values.length - 1, nInitial + i], run: ([y, r]) => y!.add(r!.sum()), code: ([y, r]) => `${y}.add(${r}.sum())` });
  }
  return renumber({ seed: genes.seed, inputs, steps, rejected }, nInitial);
}

/**
 * Steps address registers as [initial inputs..., steps...]; matmul may have created more inputs while
 * decoding, addressed as negative numbers. Renumber so registers are [all inputs..., steps...].
 */
function renumber(p: Program, firstStep: number): Program {
  const nIn = p.inputs.length;
  const map = (k: number): number => (k < 0 ? -1 - k : k < firstStep ? k : k - firstStep + nIn);
  return { ...p, steps: p.steps.map((s) => ({ ...s, args: s.args.map(map) })) };
}

function pushShapeStep(ch: Choices, a: number, xa: Tensor, values: readonly Tensor[], push: (s: Step) => void): void {
  const shape = xa.shape;
  const rank = shape.length;
  const which = ch.next(7);
  if (which === 0) {
    const target = ch.next(2) === 0 ? [xa.size] : [...shape].reverse();
    push({ args: [a], run: ([x]) => x!.reshape(target), code: ([x]) => `${x}.reshape(${fmt(target)})` });
  } else if (which === 1 && rank >= 2) {
    const axes = ch.next(2) === 0 ? shape.map((_, i) => rank - 1 - i) : [...shape.keys()].map((i) => (i === rank - 2 ? rank - 1 : i === rank - 1 ? rank - 2 : i));
    push({ args: [a], run: ([x]) => x!.transpose(axes), code: ([x]) => `${x}.transpose(${fmt(axes)})` });
  } else if (which === 2 && rank <= 3) {
    const ones = shape.findIndex((d) => d === 1);
    const target = ones >= 0 && ch.next(2) === 0 ? shape.map((d, i) => (i === ones ? 3 : d)) : [2, ...shape];
    push({ args: [a], run: ([x]) => x!.broadcastTo(target), code: ([x]) => `${x}.broadcastTo(${fmt(target)})` });
  } else if (which === 3 && rank >= 1) {
    const axis = ch.next(rank);
    const n = shape[axis]!;
    const start = ch.next(n);
    const end = start + 1 + ch.next(n - start);
    push({ args: [a], run: ([x]) => core.slice(x!, axis, start, end), code: ([x]) => `slice(${x}, ${axis}, ${start}, ${end})` });
  } else if (which === 4 && rank >= 1) {
    const axis = ch.next(rank);
    const partners = values.map((v, i) => [v, i] as const).filter(([v]) => v.rank === rank && v.shape.every((d, i) => i === axis || d === shape[i]));
    const b = partners[ch.next(partners.length)]![1];
    push({ args: [a, b], run: ([x, y]) => core.concat([x!, y!], axis), code: ([x, y]) => `concat([${x}, ${y}], ${axis})` });
  } else if (which === 5) {
    const axis = ch.next(rank + 1);
    const partners = values.map((v, i) => [v, i] as const).filter(([v]) => same(v.shape, shape));
    const b = partners[ch.next(partners.length)]![1];
    push({ args: [a, b], run: ([x, y]) => core.stack([x!, y!], axis), code: ([x, y]) => `stack([${x}, ${y}], ${axis})` });
  } else {
    const ones = shape.findIndex((d) => d === 1);
    if (ones >= 0) push({ args: [a], run: ([x]) => core.squeeze(x!, ones), code: ([x]) => `squeeze(${x}, ${ones})` });
    else {
      const axis = ch.next(rank + 1);
      push({ args: [a], run: ([x]) => core.unsqueeze(x!, axis), code: ([x]) => `unsqueeze(${x}, ${axis})` });
    }
  }
}

function pushLossStep(ch: Choices, a: number, xa: Tensor, values: readonly Tensor[], push: (s: Step) => void): void {
  const which = ch.next(3);
  const partners = values.map((v, i) => [v, i] as const).filter(([v]) => same(v.shape, xa.shape));
  const b = partners[ch.next(partners.length)]![1];
  if (which === 0) push({ args: [a, b], run: ([x, y]) => core.mseLoss(x!, y!), code: ([x, y]) => `mseLoss(${x}, ${y})` });
  else if (which === 1 || xa.rank !== 2 || xa.shape[1]! < 2) {
    push({
      args: [a, b],
      run: ([x, y]) => core.binaryCrossEntropyWithLogits(x!, y!.sigmoid()),
      code: ([x, y]) => `binaryCrossEntropyWithLogits(${x}, ${y}.sigmoid())`,
    });
  } else {
    const classes = xa.shape[1]!;
    const labels = Array.from({ length: xa.shape[0]! }, () => ch.next(classes));
    push({ args: [a], run: ([x]) => core.crossEntropy(x!, labels), code: ([x]) => `crossEntropy(${x}, ${JSON.stringify(labels)})` });
  }
}

/** Runs a program. `frozen` holds the detach/noGrad values of the first run; later (probe) runs reuse them. */
export function execute(p: Program, leaves: readonly Tensor[], frozen: (Tensor | undefined)[], isProbe: boolean): Tensor {
  const regs: Tensor[] = [...leaves];
  p.steps.forEach((s, i) => {
    if (s.isFrozen && isProbe) {
      regs.push(frozen[i]!);
      return;
    }
    const y = s.run(s.args.map((k) => regs[k]!));
    if (s.isFrozen) {
      if (y.requiresGrad || y.node !== null) throw new Error(`step ${i} (${s.code(['x'])}) should be a constant, but it requires grad`);
      frozen[i] = tensor(Array.from(y.data), { shape: y.shape });
    }
    regs.push(y);
  });
  return regs[regs.length - 1]!;
}

/** The outcome of checking one program. */
export interface Verdict {
  readonly ok: boolean;
  readonly message: string;
}

/**
 * Checks a program: its gradients against central differences (core's gradcheck with a random seeded
 * upstream gradient), the differentiable rules (`createGraph`) against the raw ones, and `explain`'s
 * trace against what `backward` writes (bit for bit: they are one walk).
 */
export function checkProgram(p: Program): Verdict {
  const frozen: (Tensor | undefined)[] = [];
  let calls = 0;
  const f = (...xs: Tensor[]): Tensor => execute(p, xs, frozen, calls++ > 0);
  const report = core.gradcheck(f, p.inputs, { seed: p.seed % 9973, name: 'program' });
  if (!report.ok) return { ok: false, message: report.message };
  // Raw rules (createGraph off) against the differentiable ones (createGraph on), same upstream gradient.
  const grads = (createGraph: boolean): (Float64Array | null)[] => {
    const leaves = p.inputs.map((x) => tensor(Array.from(x.data), { shape: x.shape, requiresGrad: true }));
    const out = execute(p, leaves, frozen, false);
    if (!out.requiresGrad) return leaves.map(() => null);
    // The upstream gradient gradcheck used (same seed, one normal per output element).
    const rng = new Rng(p.seed % 9973);
    const u = tensor(Array.from({ length: out.size }, () => rng.normal()), { shape: out.shape });
    // explain runs the engine's own walk: before backward, it must report the very gradients backward writes.
    const trace = createGraph ? null : core.explain(out, { seed: u });
    out.backward(u, { createGraph });
    if (trace !== null) {
      for (const [k, l] of leaves.entries()) {
        const e = trace.gradOf(l);
        const b = l.grad;
        if ((e === null) !== (b === null) || (e !== null && b !== null && e.data.some((v, j) => !Object.is(v, b.data[j])))) {
          explainMismatch = `input ${k}: explain reports ${e === null ? 'no gradient' : `[${Array.from(e.data).join(', ')}]`}, backward wrote ${b === null ? 'none' : `[${Array.from(b.data).join(', ')}]`}`;
        }
      }
    }
    return leaves.map((l) => (l.grad === null ? null : Float64Array.from(l.grad.data)));
  };
  let explainMismatch: string | undefined;
  const raw = grads(false);
  if (explainMismatch !== undefined) return { ok: false, message: explainMismatch };
  const diff = grads(true);
  for (let k = 0; k < raw.length; k++) {
    const r = raw[k];
    const d = diff[k];
    if ((r === null) !== (d === null)) return { ok: false, message: `input ${k}: raw rules give ${r === null ? 'no' : 'a'} gradient, createGraph ${d === null ? 'none' : 'one'}` };
    if (r === null || d === null) continue;
    for (let j = 0; j < r.length; j++) {
      if (Math.abs(r[j]! - d[j]!) > 1e-9 * (1 + Math.abs(r[j]!))) {
        return { ok: false, message: `input ${k}, element ${j}: raw rules give ${r[j]}, createGraph gives ${d[j]}` };
      }
    }
  }
  return { ok: true, message: report.message };
}

/** Gradients of the leaves after one backward pass with the seeded upstream gradient (null: none). */
function leafGrads(p: Program, leaves: readonly Tensor[], frozen: (Tensor | undefined)[]): (Float64Array | null)[] | null {
  const out = execute(p, leaves, frozen, false);
  if (!out.requiresGrad) return null;
  const rng = new Rng(p.seed % 9973);
  out.backward(tensor(Array.from({ length: out.size }, () => rng.normal()), { shape: out.shape }));
  return leaves.map((l) => (l.grad === null ? null : Float64Array.from(l.grad.data)));
}

const freshLeaves = (p: Program): Tensor[] => p.inputs.map((x) => tensor(Array.from(x.data), { shape: x.shape, requiresGrad: true }));

function sameArrays(a: Float64Array | null, b: Float64Array | null, scale = 1): boolean {
  if (a === null || b === null) return a === b;
  return a.length === b.length && a.every((v, j) => Math.abs(v - scale * b[j]!) <= 1e-12 * (1 + Math.abs(v)));
}

/**
 * The program run three more ways, each of which must agree with a plain backward pass:
 * - a hook on each leaf in turn doubles its gradient argument in place: that leaf's gradient doubles,
 *   every other leaf's stays as it was (hooks get their own copy of storage gradients may share);
 * - tied parameters: inputs of one shape are passed as one tensor, whose gradient must be the sum of
 *   the gradients the separate inputs get at the same values;
 * - the program inside `noGrad`, `enableGrad`, `detectAnomaly` and `withScope` with an async callback
 *   (and with a plain one that returns a promise): refused with an ArgumentError, leaving the settings
 *   and the tape as they were, never half-applied.
 */
export function checkVariants(p: Program): Verdict {
  const frozen: (Tensor | undefined)[] = [];
  const base = leafGrads(p, freshLeaves(p), frozen);
  if (base === null) return { ok: true, message: 'constant output' };
  for (let k = 0; k < p.inputs.length; k++) {
    const leaves = freshLeaves(p);
    leaves[k]!.registerHook((g) => {
      for (let j = 0; j < g.data.length; j++) g.data[j] = 2 * g.data[j]!;
    });
    const hooked = leafGrads(p, leaves, frozen)!;
    for (let i = 0; i < leaves.length; i++) {
      if (!sameArrays(hooked[i]!, base[i]!, i === k ? 2 : 1)) {
        return { ok: false, message: `a hook doubling input ${k}'s gradient in place changed input ${i}'s gradient wrongly: [${hooked[i]?.join(', ')}] vs plain [${base[i]?.join(', ')}]` };
      }
    }
  }
  // Tie every input of the first input's shape to one tensor holding the first input's values.
  const tiedTo = p.inputs.map((x) => x.shape.length === p.inputs[0]!.shape.length && x.shape.every((d, j) => d === p.inputs[0]!.shape[j]));
  if (tiedTo.filter(Boolean).length > 1) {
    const untiedInputs = p.inputs.map((x, k) => (tiedTo[k] ? p.inputs[0]! : x));
    const untied = leafGrads({ ...p, inputs: untiedInputs }, untiedInputs.map((x) => tensor(Array.from(x.data), { shape: x.shape, requiresGrad: true })), []);
    const shared = tensor(Array.from(p.inputs[0]!.data), { shape: p.inputs[0]!.shape, requiresGrad: true });
    const tiedLeaves = p.inputs.map((x, k) => (tiedTo[k] ? shared : tensor(Array.from(x.data), { shape: x.shape, requiresGrad: true })));
    const tied = leafGrads(p, tiedLeaves, []);
    if (untied !== null && tied !== null) {
      const sum = new Float64Array(shared.size);
      untied.forEach((g, k) => {
        if (tiedTo[k] && g !== null) g.forEach((v, j) => (sum[j] = sum[j]! + v));
      });
      const got = tied[0] ?? new Float64Array(shared.size);
      const isFinite = [...got, ...sum].every(Number.isFinite);
      if (isFinite && !got.every((v, j) => Math.abs(v - sum[j]!) <= 1e-9 * (1 + Math.abs(v)))) {
        return { ok: false, message: `tied inputs: the shared tensor's gradient [${got.join(', ')}] is not the sum of the separate gradients [${sum.join(', ')}]` };
      }
    }
  }
  const wrappers: [string, (fn: () => unknown) => unknown][] = [
    ['noGrad', (fn) => core.noGrad(fn)],
    ['enableGrad', (fn) => core.noGrad(() => core.enableGrad(fn))],
    ['detectAnomaly', (fn) => core.detectAnomaly(fn)],
    ['withScope', (fn) => core.withScope('Fuzz', fn)],
  ];
  for (const [name, wrap] of wrappers) {
    for (const isAsyncFunction of [true, false]) {
      const before = [core.isGradEnabled(), core.isAnomalyEnabled(), core.tapeLength()] as const;
      const leaves = freshLeaves(p);
      let ran = false;
      let thrown: unknown;
      try {
        wrap(
          isAsyncFunction
            ? async () => {
                ran = true;
                await Promise.resolve();
                return execute(p, leaves, frozen, true);
              }
            : () => Promise.resolve().then(() => execute(p, leaves, frozen, true)),
        );
      } catch (e) {
        thrown = e;
      }
      if (!(thrown instanceof core.ArgumentError)) return { ok: false, message: `${name} with ${isAsyncFunction ? 'an async function' : 'a promise-returning function'} was not refused` };
      if (isAsyncFunction && ran) return { ok: false, message: `${name} ran part of an async function before refusing it` };
      const after = [core.isGradEnabled(), core.isAnomalyEnabled(), core.tapeLength()] as const;
      if (after[0] !== before[0] || after[1] !== before[1] || (isAsyncFunction && after[2] !== before[2])) {
        return { ok: false, message: `${name}: the settings or the tape changed after refusing an async callback: ${before.join('/')} → ${after.join('/')}` };
      }
    }
  }
  return { ok: true, message: 'variants agree' };
}

/** The program as TypeScript that reproduces it. */
export function printProgram(p: Program, failure?: string): string {
  const nIn = p.inputs.length;
  const names = [...p.inputs.map((_, i) => `x${i}`), ...p.steps.map((_, i) => `t${nIn + i}`)];
  const lines = [
    ...(failure === undefined ? [] : [`// ${failure}`]),
    "import { clamp, concat, crossEntropy, gradcheck, gt, logsumexp, logSoftmax, max, mean, min, mseLoss, noGrad, slice, softmax, squeeze, stack, sub, sum, tensor, unsqueeze, where, binaryCrossEntropyWithLogits, type Tensor } from '@tapegrad/core';",
    '',
    ...p.inputs.map((x, i) => `const x${i} = tensor(${JSON.stringify(Array.from(x.data))}, { shape: ${fmt(x.shape)} });`),
    `const f = (${p.inputs.map((_, i) => `x${i}: Tensor`).join(', ')}): Tensor => {`,
    ...p.steps.map((s, i) => `  const t${nIn + i} = ${s.code(s.args.map((k) => names[k]!))};${s.isFrozen ? ' // a constant: finite differences hold it at its first value' : ''}`),
    `  return t${nIn + p.steps.length - 1};`,
    '};',
    `console.log(gradcheck(f, [${p.inputs.map((_, i) => `x${i}`).join(', ')}], { seed: ${p.seed % 9973} }).message);`,
  ];
  return lines.join('\n');
}

/** The fast-check arbitrary of programs: base shape rank ≤ 3, dims ≤ 4, up to 12 steps. */
export const programArb: fc.Arbitrary<Program> = fc
  .record({
    seed: fc.integer({ min: 0, max: 0x7fffffff }),
    base: fc.array(fc.integer({ min: 1, max: 4 }), { maxLength: 3, size: 'max' }),
    choices: fc.array(fc.nat({ max: 1023 }), { minLength: 1, maxLength: 64, size: 'max' }),
  })
  .map((g) => {
    const p = decode(g);
    return Object.assign(p, { [fc.toStringMethod]: () => printProgram(p) });
  });

/** Runs `runs` programs from `seed`; returns fast-check's details with the shrunk program printed on failure. */
export function fuzz(seed: number, runs: number): { failed: boolean; report: string; rejected: number; checked: number } {
  let rejected = 0;
  let checked = 0;
  const details = fc.check(
    fc.property(programArb, (p) => {
      if (p.rejected !== undefined) {
        rejected++;
        return true;
      }
      checked++;
      const v = checkProgram(p);
      if (!v.ok) throw new Error(v.message);
      const w = checkVariants(p);
      if (!w.ok) throw new Error(w.message);
      return true;
    }),
    { seed, numRuns: runs, endOnFailure: false },
  );
  if (!details.failed) return { failed: false, report: `${checked} programs checked, ${rejected} skipped (near a kink or huge values)`, rejected, checked };
  const p = details.counterexample![0] as Program;
  const error = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
  return {
    failed: true,
    report: `fuzz seed ${seed}: a program fails after ${details.numRuns} runs (shrunk ${details.numShrinks} times): ${error}\n\n${printProgram(p, error)}\n`,
    rejected,
    checked,
  };
}
