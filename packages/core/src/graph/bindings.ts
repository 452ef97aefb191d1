// The late-bound table: the op functions and `backward`, which Tensor and Value methods call and only the package entry wires in.
import type { BackwardOptions } from '../autograd/engine.ts';
import { TapegradError } from '../base/errors.ts';
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
}

/** Whether {@link bind} has run (for tests of the wiring). @internal */
export function isBound(): boolean {
  return ops !== unwiredOps;
}
