// derive: symbolic derivatives by the engine's own rules, simplified, proved and checked numerically.
import { ArgumentError } from '../base/errors.ts';
import * as O from '../ops/index.ts';
import { withRecording } from '../graph/tape.ts';
import { tensor } from '../graph/creation.ts';
import { Tensor } from '../graph/tensor.ts';
import { atom, atomOf, polyTerms, ratAdd, ratSingleAtom, ratAtom, ratAtoms, ratIsZero, ratMul, ratNeg, ratPow, ratSplit, ratSubstitute, RAT_ONE, type Atom, type Frac, type Rat } from './algebra.ts';
import { canonicalizer, ratShape } from './canon.ts';
import { constant, symbol, Sym, type Dim } from './expr.ts';
import { parseExpression } from './parse.ts';
import { printRat, type Names, type PrintStyle } from './print.ts';
import { backwardSymbolic } from './walk.ts';

/** Options of {@link simplify}, {@link prove} and {@link derive}. @category Symbolic */
export interface SymbolicOptions {
  /** Names of symbols whose sum is 1 (one-hot or probability targets): `sum(t)` is replaced by 1. */
  readonly sumsToOne?: readonly string[];
  /** Intermediate expressions printed under a name, e.g. `{ 'ŷ': sigmoid(z) }`. */
  readonly names?: Readonly<Record<string, Sym>>;
}

/** A simplified expression and its printed forms. @category Symbolic */
export interface Simplified {
  /** The canonical form, rebuilt as an expression (so it can be evaluated and differentiated). */
  readonly expr: Sym;
  /** In the expression language (parseable by {@link derive}). */
  readonly code: string;
  /** In Unicode mathematics. */
  readonly math: string;
  /** In LaTeX. */
  readonly latex: string;
}

function assumptions(opts: SymbolicOptions): Map<string, Rat> {
  const out = new Map<string, Rat>();
  for (const name of opts.sumsToOne ?? []) {
    const t = ratAtom(atom('symbol', [], name, ['n']));
    out.set(atom('sum', [t], '', []).key, RAT_ONE);
  }
  return out;
}

function namesOf(opts: SymbolicOptions): Names {
  const out = new Map<string, string>();
  const canon = canonicalizer({ mode: 'display', assume: assumptions(opts) });
  for (const [name, s] of Object.entries(opts.names ?? {})) {
    const r = canon(s);
    const [num] = ratSplit(r);
    if (r.f.size === 1 && num.f.size === 1 && r.c.n === 1n && r.c.d === 1n) {
      const [key, g] = [...r.f][0]!;
      if (g.e === 1 && g.p.size === 1) out.set(key!, name);
    }
  }
  return out;
}

/**
 * Simplifies an expression to its canonical rational form over atoms such as `σ(z)`, `exp(z)`, `sum(t)`
 * and `matmul(W, X)`, and prints it. Of the equivalent spellings (`exp(z)/(1 + exp(z))` or `σ(z)`,
 * `exp(x)/sum(exp(x))` or `softmax(x)`), the shortest is kept.
 * @param e The expression.
 * @param opts Assumptions (`sumsToOne`) and `names` for intermediates.
 * @returns The simplified expression and its code, math and LaTeX forms.
 * @example
 * ```ts
 * import { mul, sigmoid, simplify, sub, symbol, type Sym } from '@tapegrad/core';
 * const s = sigmoid(symbol('z') as never);
 * console.log(simplify(mul(s, sub(1, s)) as unknown as Sym).code); // sigmoid(z) - sigmoid(z)^2
 * ```
 * @category Symbolic
 */
export function simplify(e: Sym, opts: SymbolicOptions = {}): Simplified {
  const r = simplifyRat(e, opts);
  const names = namesOf(opts);
  return { expr: ratToSym(r), code: printRat(r, 'code'), math: printRat(r, 'math', names), latex: printRat(r, 'latex', names) };
}

/** The shortest of the display forms (as is, exp over σ, exp over softmax). */
function simplifyRat(e: Sym, opts: SymbolicOptions): Rat {
  const base = canonicalizer({ mode: 'display', assume: assumptions(opts) })(e);
  const candidates = [base];
  const exps = [...allAtoms(base)].map(atomOf).filter((a) => a.head === 'exp');
  if (exps.length > 0) {
    // eᵘ = σ(u)/(1 − σ(u)) for scalar u
    candidates.push(ratSubstitute(base, (a) => {
      if (a.head !== 'exp' || ratShape(a.args[0]!).some((d) => d !== 1)) return null;
      const s = ratAtom(atom('sigmoid', a.args, '', a.shape));
      return ratMul(s, ratPow(ratAdd(RAT_ONE, ratNeg(s)), -1));
    }));
    // eˣ = softmax(x)·Σ eˣ where Σ eˣ occurs
    candidates.push(ratSubstitute(base, (a) => {
      if (a.head !== 'exp') return null;
      const total = atom('sum', [ratAtom(a)], '', []);
      if (!allAtoms(base).has(total.key)) return null;
      return ratMul(ratAtom(atom('softmax', a.args, '', a.shape)), ratAtom(total));
    }));
  }
  return candidates.map((r) => ({ r, n: printRat(r, 'code').length })).sort((p, q) => p.n - q.n)[0]!.r;
}

/** Every atom key of r, including those inside atom arguments. */
function allAtoms(r: Rat): Set<string> {
  const out = new Set<string>();
  const visit = (x: Rat): void => {
    for (const k of ratAtoms(x)) {
      if (out.has(k)) continue;
      out.add(k);
      atomOf(k).args.forEach(visit);
    }
  };
  visit(r);
  return out;
}

/** Rebuilds a canonical rational as an expression with the public ops. @internal */
export function ratToSym(r: Rat): Sym {
  const c = (x: Sym | number): never => (typeof x === 'number' ? constant(x) : x) as never;
  const k = (f: Frac): Sym => (f.d === 1n ? constant(Number(f.n)) : (O.div(c(Number(f.n)), c(Number(f.d))) as unknown as Sym));
  let out: Sym = k(r.c);
  for (const { p, e } of r.f.values()) {
    let poly: Sym | null = null;
    for (const t of polyTerms(p)) {
      let term: Sym = k(t.coef);
      for (const [k, n] of t.mono) {
        const a = atomToSym(atomOf(k));
        term = O.mul(c(term), c(n === 1 ? a : (O.pow(c(a), n) as unknown as Sym))) as unknown as Sym;
      }
      poly = poly === null ? term : (O.add(c(poly), c(term)) as unknown as Sym);
    }
    out = O.mul(c(out), c(e === 1 ? poly! : (O.pow(c(poly!), e) as unknown as Sym))) as unknown as Sym;
  }
  return out;
}

function atomToSym(a: Atom): Sym {
  if (a.head === 'symbol') return symbol(a.params, a.shape);
  if (a.head === 'const') return constant(Number(a.params));
  const xs = a.args.map(ratToSym) as never[];
  const axis = a.params.startsWith('axis=') ? a.params.slice(5).split(',').map(Number) : undefined;
  const f = (O as unknown as Record<string, (...args: unknown[]) => unknown>)[a.head];
  switch (a.head) {
    case 'sum':
    case 'logsumexp':
      return f!(xs[0], axis, a.shape.length > 0 && axis !== undefined) as Sym;
    case 'softmax':
      return O.softmax(xs[0]!, axis?.[0] ?? -1) as unknown as Sym;
    case 'sqrt':
      return O.sqrt(xs[0]!) as unknown as Sym;
    default:
      if (f === undefined) throw new ArgumentError(`simplify: no op '${a.head}' to rebuild`);
      return f(...xs) as Sym;
  }
}

/** The verdict of {@link prove}. @category Symbolic */
export interface Proof {
  /** `equal`: the canonical forms agree (and so do the numbers); `not proved`: they differ but the numbers agree; `different`: the numbers differ. */
  readonly status: 'equal' | 'not proved' | 'different';
  /** The largest |a − b| over the random points. */
  readonly maxDiff: number;
  /** How many random points were tried. */
  readonly points: number;
}

/**
 * Decides whether two expressions are equal: both are rewritten over algebraically independent atoms
 * (σ, tanh, softplus and softmax over exp) and the numerator of their difference is expanded; it is 0
 * exactly when they are equal as rational functions of those atoms. A numeric check at random points
 * backs every verdict: equal canonical forms with differing numbers would be a bug and throw.
 * @param a The first expression.
 * @param b The second expression.
 * @param opts Assumptions (`sumsToOne`).
 * @returns The verdict, the largest difference and the number of points.
 * @throws {@link ArgumentError} when the canonical forms agree but the numbers do not (a bug in the normaliser).
 * @example
 * ```ts
 * import { add, exp, log, prove, sigmoid, symbol } from '@tapegrad/core';
 * const z = symbol('z') as never;
 * console.log(prove(log(add(1, exp(z))) as never, log(add(1, exp(z))) as never).status); // equal
 * ```
 * @category Symbolic
 */
export function prove(a: Sym, b: Sym, opts: SymbolicOptions = {}): Proof {
  const canon = canonicalizer({ mode: 'proof', assume: assumptions(opts) });
  const diff = ratAdd(canon(a), ratNeg(canon(b)));
  const { maxDiff, points } = compareNumerically(a, b, opts);
  const isSymbolicEqual = ratIsZero(diff);
  const isNumericEqual = maxDiff <= 1e-9;
  if (isSymbolicEqual && !isNumericEqual) throw new ArgumentError(`prove: canonical forms agree but the values differ by ${maxDiff}`);
  return { status: isSymbolicEqual ? 'equal' : isNumericEqual ? 'not proved' : 'different', maxDiff, points };
}

/** Symbols and dimension names of an expression. */
function symbolsOf(...roots: Sym[]): Map<string, Sym> {
  const out = new Map<string, Sym>();
  const seen = new Set<number>();
  const stack = [...roots];
  while (stack.length > 0) {
    const s = stack.pop()!;
    if (seen.has(s.id)) continue;
    seen.add(s.id);
    if (s.kind === 'symbol') out.set(s.name, s);
    stack.push(...s.args);
  }
  return out;
}

/** Random values for the symbols: scalars and entries in (0.05, 0.95), dimensions 2 to 4 (consistent by name). @internal */
export function randomEnv(symbols: ReadonlyMap<string, Sym>, seed: number, opts: SymbolicOptions = {}): Map<string, Tensor> {
  let state = seed >>> 0 || 1;
  const rand = (): number => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  const dims = new Map<string, number>();
  const size = (d: Dim): number => {
    if (typeof d === 'number') return d;
    if (!dims.has(d)) dims.set(d, 2 + Math.floor(rand() * 3));
    return dims.get(d)!;
  };
  const env = new Map<string, Tensor>();
  for (const s of symbols.values()) for (const d of s.shape) size(d);
  for (const [name, s] of symbols) {
    if (dims.has(name)) continue;
    const shape = s.shape.map(size);
    const n = shape.reduce((p, q) => p * q, 1);
    let data = Array.from({ length: n }, () => 0.05 + 0.9 * rand());
    if (opts.sumsToOne?.includes(name)) {
      const total = data.reduce((p, q) => p + q, 0);
      data = data.map((v) => v / total);
    }
    env.set(name, Tensor.fromData(Float64Array.from(data), shape, 'float64'));
  }
  for (const [d, n] of dims) if (!env.has(d)) env.set(d, tensor(n));
  return env;
}

/** Evaluates an expression on tensors with the public ops (the forward the engine runs). @internal */
export function evaluate(e: Sym, env: ReadonlyMap<string, Tensor>): Tensor {
  const memo = new Map<number, Tensor | number>();
  const go = (s: Sym): Tensor | number => {
    const hit = memo.get(s.id);
    if (hit !== undefined) return hit;
    let v: Tensor | number;
    if (s.kind === 'const') v = s.value;
    else if (s.kind === 'symbol') {
      const t = env.get(s.name);
      if (t === undefined) throw new ArgumentError(`evaluate: no value for symbol '${s.name}'`);
      v = t;
    } else {
      const args = s.args.map(go);
      const tensorArgs = s.op !== null && 'arity' in s.op ? args : args.map((a) => (typeof a === 'number' ? tensor(a) : a));
      const rest = s.rest.map((r) => (Array.isArray(r) ? r.map((d) => (typeof d === 'string' ? (env.get(d)?.item() ?? 1) : d)) : r));
      v = (s.fn as (...xs: unknown[]) => Tensor | number)(...tensorArgs, ...rest);
    }
    memo.set(s.id, v);
    return v;
  };
  const v = go(e);
  return typeof v === 'number' ? tensor(v) : v;
}

function compareNumerically(a: Sym, b: Sym, opts: SymbolicOptions, points = 4): { maxDiff: number; points: number } {
  const symbols = symbolsOf(a, b);
  let maxDiff = 0;
  withRecording(false, () => {
    for (let k = 0; k < points; k++) {
      const env = randomEnv(symbols, 17 + 101 * k, opts);
      const va = evaluate(a, env);
      const vb = evaluate(b, env);
      const d = O.sub(va, vb).abs();
      for (const x of d.data) maxDiff = Math.max(maxDiff, Number.isNaN(x) ? Infinity : x);
    }
  });
  return { maxDiff, points };
}

/** One backward step of a derivation. @category Symbolic */
export interface DeriveStep {
  /** The op. */
  readonly op: string;
  /** Its rule: the derivative its definition computes, printed from the symbolic form. */
  readonly rule: string;
  /** The gradient this step sends toward the variable, simplified. */
  readonly result: string;
}

/** The result of {@link derive}. @category Symbolic */
export interface Derivation {
  /** The simplified derivative in the expression language. */
  readonly expression: string;
  /** The simplified derivative in LaTeX. */
  readonly latex: string;
  /** The simplified derivative in Unicode mathematics. */
  readonly math: string;
  /** The backward steps, root first. */
  readonly steps: readonly DeriveStep[];
  /** The derivative as the rules built it, unsimplified. */
  readonly raw: Sym;
  /** The simplified derivative as an expression. */
  readonly simplified: Sym;
  /** Whether the printed form is proved equal to the rules' result (it is always numerically checked). */
  readonly proof: Proof;
  /** Agreement with the numeric engine: the largest |printed − grad| at random points. */
  readonly engineMaxDiff: number;
  /** Assumptions used, e.g. `sum(t) = 1`. */
  readonly assumptions: readonly string[];
  /** Set when the derivative could not be simplified or proved. */
  readonly note?: string;
}

/**
 * Differentiates an expression symbolically with the engine's own rules, then simplifies and proves
 * the result: `derive('binaryCrossEntropy(sigmoid(z), t)', 'z').expression` is `sigmoid(z) - t`.
 * Every result is checked against the numeric engine (forward, `backward()`, `.grad`) at random points.
 * @param expr An expression, or text in the expression language (see {@link parseExpression}).
 * @param wrt The variable: a symbol or its name.
 * @param opts Assumptions and names; with text, the parser adds `sum(t) = 1` for a cross-entropy target t.
 * @returns The derivative, its LaTeX, the steps, the proof and the numeric agreement.
 * @throws {@link ArgumentError} for a syntax error or a variable the expression does not contain.
 * @example
 * ```ts
 * import { derive } from '@tapegrad/core';
 * console.log(derive('binaryCrossEntropy(sigmoid(z), t)', 'z').expression); // sigmoid(z) - t
 * ```
 * @category Symbolic
 */
export function derive(expr: string | Sym, wrt: string | Sym, opts: SymbolicOptions & { readonly vectors?: readonly string[] } = {}): Derivation {
  let root: Sym;
  let symbols: ReadonlyMap<string, Sym>;
  let sumsToOne = opts.sumsToOne ?? [];
  if (typeof expr === 'string') {
    const parsed = parseExpression(expr, opts.vectors);
    root = parsed.expr;
    symbols = parsed.symbols;
    sumsToOne = [...sumsToOne, ...parsed.sumsToOne];
  } else {
    root = expr;
    symbols = symbolsOf(expr);
  }
  const x = typeof wrt === 'string' ? symbols.get(wrt) : wrt;
  if (x === undefined) throw new ArgumentError(`derive: wrt must name a symbol of the expression (${[...symbols.keys()].join(', ')}), got '${String(wrt)}'`);
  const o: SymbolicOptions = { ...opts, sumsToOne };
  const walk = backwardSymbolic(root, [x]);
  const raw = walk.grads.get(x.id)!;
  const steps = walk.steps.map((s) => ({
    op: s.op,
    rule: ruleOf(s.def),
    result: s.sends.map((e) => safePrint(e.grad, o)).join('; '),
  }));
  let simplified: Simplified;
  let note: string | undefined;
  try {
    simplified = simplify(raw, o);
  } catch (err) {
    note = `not simplified (${(err as Error).message}); printed as the rules built it`;
    simplified = { expr: raw, code: printRaw(raw), math: printRaw(raw), latex: printRaw(raw) };
  }
  const proof = prove(raw, simplified.expr, o);
  if (proof.status === 'not proved') note = 'the simplified form agrees numerically but is not proved equal';
  if (proof.status === 'different') note = 'the simplification changed the value (a bug): printing the unsimplified derivative';
  const engineMaxDiff = engineCheck(root, x, proof.status === 'different' ? raw : simplified.expr, symbols, o);
  const shown = proof.status === 'different' ? { expr: raw, code: printRaw(raw), math: printRaw(raw), latex: printRaw(raw) } : simplified;
  return {
    expression: shown.code,
    latex: shown.latex,
    math: shown.math,
    steps,
    raw,
    simplified: shown.expr,
    proof,
    engineMaxDiff,
    assumptions: sumsToOne.map((t) => `sum(${t}) = 1`),
    ...(note === undefined ? {} : { note }),
  };
}

function safePrint(e: Sym, o: SymbolicOptions): string {
  try {
    return simplify(e, o).code;
  } catch {
    return printRaw(e);
  }
}

/** The expression tree as the rules built it, in the expression language. @internal */
export function printRaw(e: Sym): string {
  if (e.kind === 'const') return String(e.value);
  if (e.kind === 'symbol') return e.name;
  const args = e.args.map(printRaw);
  const infix: Record<string, string> = { add: '+', sub: '-', mul: '*', div: '/' };
  if (infix[e.name] !== undefined) return `(${args[0]} ${infix[e.name]} ${args[1]})`;
  if (e.name === 'reshape' || e.name === 'broadcastTo') return args[0]!;
  return `${e.name}(${args.join(', ')})`;
}

/** ∂(sum of root)/∂x by the numeric engine at random points, against `d` evaluated there. */
function engineCheck(root: Sym, x: Sym, d: Sym, symbols: ReadonlyMap<string, Sym>, o: SymbolicOptions): number {
  let maxDiff = 0;
  for (let k = 0; k < 3; k++) {
    const env = randomEnv(symbols, 7 + 31 * k, o);
    const xt = env.get(x.name)!;
    const leaf = Tensor.fromData(Float64Array.from(xt.data), xt.shape, 'float64');
    leaf.requiresGrad = true;
    env.set(x.name, leaf);
    const y = evaluate(root, env);
    (y.size === 1 ? y : y.sum()).backward();
    const want = withRecording(false, () => evaluate(d, env));
    const g = leaf.grad!;
    for (let i = 0; i < g.size; i++) maxDiff = Math.max(maxDiff, Math.abs(g.data[i]! - want.data[want.size === 1 ? 0 : i]!));
  }
  return maxDiff;
}

/**
 * The rule of an op, printed from its definition run on symbols: for an elementwise op the derivative its
 * file computes (`y = sigmoid(x), dy/dx = y*(1 - y)`), so the text cannot drift from the code; other ops
 * keep their written derivation.
 * @param def An op definition.
 * @returns The rule text.
 * @internal
 */
export function ruleOf(def: { readonly name: string; readonly rule: string }): string {
  if (!('arity' in def)) return def.rule;
  const hit = rules.get(def);
  if (hit !== undefined) return hit;
  const text = printRule(def);
  rules.set(def, text);
  return text;
}

const rules = new WeakMap<object, string>();

function printRule(def: { readonly name: string; readonly rule: string }): string {
  const op = def as unknown as { arity: 1 | 2; da: (a: unknown, b: unknown, y: unknown) => unknown; db?: (a: unknown, b: unknown, y: unknown) => unknown };
  const isLoss = def.name === 'binaryCrossEntropy' || def.name === 'mseLoss';
  const [an, bn, yn] = op.arity === 1 ? ['x', 'b', 'y'] : isLoss ? ['ŷ', 't', 'ℓ'] : ['a', 'b', 'y'];
  const xa = symbol(an);
  const xb = symbol(bn);
  try {
    const y = xa.apply(def as never, () => 0, op.arity === 1 ? [xa] : [xa, xb]);
    const canon = canonicalizer({ mode: 'display' });
    const yRat = canon(y);
    const names = new Map<string, string>();
    if (ratSingleAtom(yRat) !== null) names.set(ratSingleAtom(yRat)!.key, yn);
    const show = (v: unknown): string => printRat(canon(v instanceof Sym ? v : constant(v as number)), 'math', names);
    const times = (d: string, g: string): string => (d === '1' ? g : d.startsWith('−') && !/\s[+−]\s/.test(d) ? `−${times(d.slice(1), g)}` : `${g}·${/\s[+−/]\s/.test(d) ? `(${d})` : d}`);
    const lhs = `${yn} = ${isLoss ? `${def.name}(${an}, ${bn})` : printRat(yRat, 'math')}`;
    if (op.arity === 1) {
      const d = show(op.da(xa, 0, y));
      return `${lhs}, d${yn}/d${an} = ${d} ⇒ d${an} = ${times(d, `d${yn}`)}`;
    }
    const da = show(op.da(xa, xb, y));
    const db = show(op.db!(xa, xb, y));
    return `${lhs}, ∂${yn}/∂${an} = ${da}, ∂${yn}/∂${bn} = ${db} ⇒ d${an} = ${times(da, `d${yn}`)}, d${bn} = ${times(db, `d${yn}`)}`;
  } catch {
    return def.rule;
  }
}

/** The printed form of a canonical rational, for the CLI. @internal */
export function printSym(e: Sym, style: PrintStyle, opts: SymbolicOptions = {}): string {
  const s = simplify(e, opts);
  return style === 'code' ? s.code : style === 'latex' ? s.latex : s.math;
}
