import type * as Ops from './index.ts';

/**
 * The op functions, bound late: `Tensor` and `Value` methods call through this table instead of
 * importing the op files, so `tensor.ts` and `value.ts` (which every op file needs) never import an op
 * file, and module evaluation order cannot run an op's definition before `define.ts` is ready.
 * `ops/index.ts` fills it from its `OPS` registry.
 * @internal
 */
export const ops: typeof Ops = {} as typeof Ops;
