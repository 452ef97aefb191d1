// The late-bound table: the op functions and `backward`, which Tensor and Value methods call and only the package entry wires in.
import type { BackwardOptions } from '../autograd/engine.ts';
import { TapegradError } from '../base/errors.ts';
import type { ElementwiseOp } from '../ops/define.ts';
import type * as Ops from '../ops/index.ts';
import type { Tensor } from './tensor.ts';

const UNWIRED =
  "tensor and value methods are wired by '@tapegrad/core' (packages/core/src/index.ts); import the package, not a file under src/";

/** Stands in for the op table until the package entry wires it: any method call throws a typed error. */
const unwiredOps = new Proxy({} as typeof Ops, {
  get(_target, name) {
    if (typeof name !== 'string') return undefined;
    return () => {
      throw new TapegradError(`${name}: ${UNWIRED}`);
    };
  },
});

/**
 * The op functions, bound late: `Tensor` and `Value` methods call through this table instead of
 * importing the op files, so the recording layer (which every op file needs) never imports an op file.
 * `index.ts` installs `OPS` with {@link bind}; until then every entry throws a {@link TapegradError}
 * that says what to import.
 * @internal
 */
export let ops: typeof Ops = unwiredOps;

/** What the engine wires into `Tensor.backward` (the recording layer never imports the engine). @internal */
export interface Bound {
  /** The engine's backward pass. */
  backward: (root: Tensor, grad: Tensor | undefined, opts: BackwardOptions) => void;
}

/** The late-bound engine entry points; each throws a {@link TapegradError} until {@link bind} runs. @internal */
export const bound: Bound = {
  backward: () => {
    throw new TapegradError(`backward: ${UNWIRED}`);
  },
};

/**
 * Wires the op table and the engine in; called once, by the package entry `index.ts`. The table is
 * an object literal, which V8 keeps in fast mode.
 * @internal
 */
export function bind(wiring: { readonly ops: Readonly<Record<string, unknown>>; readonly backward: Bound['backward'] }): void {
  ops = wiring.ops as typeof Ops;
  bound.backward = wiring.backward;
  LANE_OPS.forEach((name, id) => {
    laneOps[id] = (wiring.ops[name] as { readonly op: ElementwiseOp }).op;
  });
}

/**
 * The ops `Value`'s methods record, by lane id (the index). A method reads its op as `laneOps[id]`, and
 * an op row's kind byte on the scalar lane holds the id, so a row names its op without a store of its own
 * (see graph/scalar-tape.ts).
 * @internal
 */
export const LANE_OPS = [
  'add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum',
  'neg', 'exp', 'log', 'log1p', 'sqrt', 'abs', 'square', 'sigmoid', 'tanh', 'relu', 'softplus', 'sin', 'cos',
] as const;

/**
 * The op of each lane id, set when the table is wired; until then each one's forward throws the typed
 * error saying what to import. Read as an array element, not as `ops.<name>.op`: the op functions carry
 * `op` as a property of a function object, and under tsx (whose esbuild keeps names by redefining each
 * function's `name`) V8 keeps such a function in dictionary mode, so that read was a hash lookup through
 * an inline-cache call on every `Value` op (measured: 5-6 % of micrograd's step under tsx, as the bench
 * and the tests run; a tsc build keeps the functions in fast mode).
 * @internal
 */
export const laneOps: ElementwiseOp[] = LANE_OPS.map((name) => {
  const unwired = (): never => {
    throw new TapegradError(`${name}: ${UNWIRED}`);
  };
  return { name, rule: '', arity: 2, forward: unwired, da: unwired, db: unwired };
});

/** Whether {@link bind} has run (for tests of the wiring). @internal */
export function isBound(): boolean {
  return ops !== unwiredOps;
}
