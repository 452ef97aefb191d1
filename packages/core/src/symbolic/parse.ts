// parse: the expression language of derive (core op names as functions, + - * / ^).
import { ArgumentError } from '../base/errors.ts';
import * as O from '../ops/index.ts';
import { constant, symbol, Sym } from './expr.ts';

/** A parsed expression: its root, its symbols by name, and the assumptions its functions bring (`sum(t) = 1` for a cross-entropy target). @category Symbolic */
export interface Parsed {
  /** The expression, built with the public ops. */
  readonly expr: Sym;
  /** The symbols by name. */
  readonly symbols: ReadonlyMap<string, Sym>;
  /** Names of symbols whose sum is assumed to be 1 (probability or one-hot targets). */
  readonly sumsToOne: readonly string[];
}

type Ast = { k: 'num'; v: number } | { k: 'id'; name: string } | { k: 'call'; name: string; args: Ast[] } | { k: 'bin'; op: string; a: Ast; b: Ast } | { k: 'neg'; a: Ast };

const UNARY: Record<string, (x: never) => unknown> = {
  sigmoid: O.sigmoid, log: O.log, exp: O.exp, tanh: O.tanh, softplus: O.softplus, relu: O.relu, sqrt: O.sqrt, square: O.square,
  abs: O.abs, sin: O.sin, cos: O.cos, log1p: O.log1p, neg: O.neg, logsumexp: O.logsumexp, softmax: O.softmax,
  logSoftmax: O.logSoftmax, sum: O.sum, mean: O.mean,
};
const BINARY: Record<string, (a: never, b: never) => unknown> = {
  pow: O.pow, add: O.add, sub: O.sub, mul: O.mul, div: O.div, maximum: O.maximum, minimum: O.minimum, gt: O.gt, lt: O.lt,
  binaryCrossEntropy: O.binaryCrossEntropy, mseLoss: O.mseLoss,
};
/** Functions whose arguments are vectors. */
const VECTOR_ARGS = new Set(['logsumexp', 'softmax', 'logSoftmax', 'sum', 'mean', 'crossEntropy']);

/** The function names the expression language knows. @internal */
export const FUNCTIONS: readonly string[] = [...Object.keys(UNARY), ...Object.keys(BINARY), 'crossEntropy'].sort();

/**
 * Parses the expression language of `derive`: numbers, names, `+ - * / ^`, parentheses, and the core
 * op names as functions (`sigmoid(z)`, `pow(x, 3)`, `binaryCrossEntropy(yhat, t)`, `mseLoss(y, t)`,
 * `logsumexp(x)`, `softmax(x)`, `sum(x)`, and `crossEntropy(z, t)` = `-sum(t * log(softmax(z)))` on logits z).
 * Names inside the arguments of a vector function (`logsumexp`, `softmax`, `sum`, `mean`, `crossEntropy`) are vectors
 * of length `n`, as are the names in `vectors`; the others are scalars.
 * @param text The expression.
 * @param vectors More names to treat as vectors.
 * @returns The expression built with the public ops, its symbols and its assumptions.
 * @throws {@link ArgumentError} for a syntax error or an unknown function, naming the position.
 * @example
 * ```ts
 * import { parseExpression } from '@tapegrad/core';
 * console.log([...parseExpression('binaryCrossEntropy(sigmoid(z), t)').symbols.keys()]); // ['z', 't']
 * ```
 * @category Symbolic
 */
export function parseExpression(text: string, vectors: readonly string[] = []): Parsed {
  const toks = tokenize(text);
  let i = 0;
  const peek = (): string | undefined => toks[i]?.t;
  const fail = (what: string): never => {
    throw new ArgumentError(`derive: ${what} at position ${toks[i]?.pos ?? text.length + 1} of '${text}'`);
  };
  const expect = (t: string): void => {
    if (peek() !== t) fail(`expected '${t}', got ${peek() === undefined ? 'the end' : `'${peek()}'`}`);
    i++;
  };
  const expr = (): Ast => {
    let a = term();
    while (peek() === '+' || peek() === '-') {
      const op = toks[i++]!.t;
      a = { k: 'bin', op, a, b: term() };
    }
    return a;
  };
  const term = (): Ast => {
    let a = unary();
    while (peek() === '*' || peek() === '/') {
      const op = toks[i++]!.t;
      a = { k: 'bin', op, a, b: unary() };
    }
    return a;
  };
  const unary = (): Ast => {
    if (peek() === '-') {
      i++;
      return { k: 'neg', a: unary() };
    }
    if (peek() === '+') i++;
    return power();
  };
  const power = (): Ast => {
    const a = primary();
    if (peek() === '^') {
      i++;
      return { k: 'bin', op: '^', a, b: unary() };
    }
    return a;
  };
  const primary = (): Ast => {
    const tok = toks[i];
    if (tok === undefined) return fail('expected an expression, got the end');
    if (tok.t === '(') {
      i++;
      const a = expr();
      expect(')');
      return a;
    }
    if (/^[0-9.]/.test(tok.t)) {
      i++;
      return { k: 'num', v: Number(tok.t) };
    }
    if (/^[\p{L}_]/u.test(tok.t)) {
      i++;
      if (peek() !== '(') return { k: 'id', name: tok.t };
      i++;
      const args: Ast[] = [];
      if (peek() !== ')') {
        args.push(expr());
        while (peek() === ',') {
          i++;
          args.push(expr());
        }
      }
      expect(')');
      const arity = tok.t in UNARY ? 1 : tok.t in BINARY || tok.t === 'crossEntropy' ? 2 : -1;
      if (arity < 0) fail(`unknown function '${tok.t}' (known: ${FUNCTIONS.join(', ')})`);
      if (args.length !== arity) fail(`${tok.t} takes ${arity} argument${arity === 1 ? '' : 's'}, got ${args.length}`);
      return { k: 'call', name: tok.t, args };
    }
    return fail(`unexpected '${tok.t}'`);
  };
  const ast = expr();
  if (i < toks.length) fail(`unexpected '${toks[i]!.t}'`);

  const vec = new Set(vectors);
  const sumsToOne: string[] = [];
  const scan = (a: Ast, isVecArg: boolean): void => {
    if (a.k === 'id' && isVecArg) vec.add(a.name);
    if (a.k === 'call') {
      a.args.forEach((x) => scan(x, isVecArg || VECTOR_ARGS.has(a.name)));
      const target = a.args[1];
      if (a.name === 'crossEntropy' && target?.k === 'id' && !sumsToOne.includes(target.name)) sumsToOne.push(target.name);
    }
    if (a.k === 'bin') [a.a, a.b].forEach((x) => scan(x, isVecArg));
    if (a.k === 'neg') scan(a.a, isVecArg);
  };
  scan(ast, false);
  const symbols = new Map<string, Sym>();
  const build = (a: Ast): Sym | number => {
    switch (a.k) {
      case 'num': return a.v;
      case 'id': {
        let s = symbols.get(a.name);
        if (s === undefined) symbols.set(a.name, (s = symbol(a.name, vec.has(a.name) ? ['n'] : [])));
        return s;
      }
      case 'neg': return O.neg(asArg(build(a.a))) as unknown as Sym;
      case 'bin': {
        const f = { '+': O.add, '-': O.sub, '*': O.mul, '/': O.div, '^': O.pow }[a.op]!;
        return f(asArg(build(a.a)), asArg(build(a.b))) as unknown as Sym;
      }
      case 'call': {
        const xs = a.args.map(build);
        if (a.name === 'crossEntropy') {
          // −Σ t·ln softmax(z): cross-entropy of logits z against a probability (or one-hot) target t.
          const p = O.softmax(asArg(xs[0]!));
          return O.neg(O.sum(O.mul(asArg(xs[1]!), O.log(p))) as never) as unknown as Sym;
        }
        if (a.name in UNARY) return UNARY[a.name]!(asArg(xs[0]!)) as Sym;
        return BINARY[a.name]!(asArg(xs[0]!), asArg(xs[1]!)) as Sym;
      }
    }
  };
  const root = build(ast);
  return { expr: root instanceof Sym ? root : constant(root), symbols, sumsToOne };
}

const asArg = (x: Sym | number): never => (typeof x === 'number' ? constant(x) : x) as never;

function tokenize(text: string): { t: string; pos: number }[] {
  const out: { t: string; pos: number }[] = [];
  const re = /\s*(?:(\d+\.?\d*(?:e[+-]?\d+)?|\.\d+)|([\p{L}_][\p{L}\p{N}_]*)|(\*\*|[-+*/^(),−·]))/uy;
  let pos = 0;
  while (pos < text.length) {
    if (/^\s*$/.test(text.slice(pos))) break;
    re.lastIndex = pos;
    const m = re.exec(text);
    if (m === null) throw new ArgumentError(`derive: unexpected '${text.slice(pos).trim()[0]}' at position ${pos + 1} of '${text}'`);
    let t = m[1] ?? m[2] ?? m[3]!;
    if (t === '**') t = '^';
    if (t === '−') t = '-';
    if (t === '·') t = '*';
    out.push({ t, pos: m.index + m[0].length - t.length + 1 });
    pos = re.lastIndex;
  }
  return out;
}
