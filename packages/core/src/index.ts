export { AnomalyError, AutogradError, ArgumentError, DTypeError, GradCheckError, GradError, ShapeError, TapegradError } from './errors.ts';
export { broadcastShapes, type Shape } from './shape.ts';
export { enableGrad, isGradEnabled, noGrad, tapeLength, withScope, type Scope, type TapeNode } from './tape.ts';
export { Rng } from './random.ts';
export { Value, value, type ScalarBackwardOptions } from './value.ts';
export { valueGraph, type ValueGraph, type ValueNode } from './value-graph.ts';
export {
  Tensor, arange, eye, full, linspace, ones, rand, randn, stopGradient, tensor, zeros,
  type DType, type FloatArray, type GradHook, type NestedArray, type RandomOptions, type TensorLike, type TensorOptions,
} from './tensor.ts';
export { backward, type BackwardOptions } from './engine.ts';
export { detectAnomaly, isAnomalyEnabled, setDetectAnomaly } from './anomaly.ts';
export { addInPlace, addScaledInPlace, copyInPlace, divInPlace, fillInPlace, mulInPlace, subInPlace, zeroInPlace } from './in-place.ts';
/** The raw GEMM kernel (`C (+)= op(A)·op(B)` on row-major buffers), for hand-written fast paths. @category Linear algebra */
export { gemm } from './kernels/gemm.ts';
export { sigmoidInto } from './kernels/sigmoid.ts';
export { defineBinary, defineOp, defineUnary } from './ops/define.ts';
export type { BackwardContext, BackwardRule, BinaryFn, BinarySpec, ElementwiseOp, Num, OpDef, UnaryFn, UnarySpec } from './ops/define.ts';
export * from './ops/index.ts';
export { DEFAULT_ATOL, DEFAULT_EPS, DEFAULT_RTOL, gradcheck } from './gradcheck.ts';
export type { GradCheckElement, GradCheckOptions, GradCheckReport, ScalarFn, TensorFn } from './gradcheck.ts';
export { gradgradcheck } from './gradgradcheck.ts';
export { grad, hessian, hvp, jacobian, jvp, valueAndGrad, vjp } from './functional.ts';
export type { ArgNums, GradFunction, JacobianFunction, MultiGradFunction, Primal, Pullback, TensorFunction, ValueAndGradFunction } from './functional.ts';
export { customOp, type CustomData, type CustomForwardResult, type CustomOpFn, type CustomOpSpec, type CustomOutput } from './custom-op.ts';
export { explain, Trace, type ExplainOptions, type TraceSend, type TraceStep } from './explain.ts';
