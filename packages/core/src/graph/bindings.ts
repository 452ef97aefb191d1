import type * as Ops from '../ops/index.ts';

/**
 * The op functions, bound late: `Tensor` and `Value` methods call through this table instead of
 * importing the op files, so `tensor.ts` and `value.ts` (which every op file needs) never import an op
 * file, and module evaluation order cannot run an op's definition before `define.ts` is ready.
 * `ops/index.ts` installs its `OPS` registry with {@link bindOps}.
 * @internal
 */
export let ops: typeof Ops = {} as typeof Ops;

/** Installs the op functions (an object literal, which V8 keeps in fast mode). @internal */
export function bindOps(table: Readonly<Record<string, unknown>>): void {
  ops = table as typeof Ops;
}
