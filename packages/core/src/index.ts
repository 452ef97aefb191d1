// The package entry: every public export, and the one place that wires the layers together (op table and backward).
export { AnomalyError, AutogradError, ArgumentError, DTypeError, GradCheckError, GradError, ShapeError, TapegradError } from './base/errors.ts';
export { broadcastShapes, type Shape } from './base/shape.ts';
export { enableGrad, isGradEnabled, noGrad, tapeLength, withScope, type Scope, type TapeNode } from './graph/tape.ts';
export { Rng } from './base/random.ts';
export { Value, value, type ScalarBackwardOptions } from './graph/value.ts';
export { valueGraph, type ValueGraph, type ValueNode } from './autograd/value-graph.ts';
export { Tensor, type GradHook, type NestedArray, type TensorLike } from './graph/tensor.ts';
export { arange, eye, fromBuffer, full, linspace, ones, rand, randn, stopGradient, tensor, zeros, type RandomOptions, type TensorOptions } from './graph/creation.ts';
export { type DType, type FloatArray } from './base/dtype.ts';
export { backward, type BackwardOptions } from './autograd/engine.ts';
export { detectAnomaly, isAnomalyEnabled, setDetectAnomaly } from './graph/anomaly.ts';
export { addInPlace, addScaledInPlace, copyInPlace, divInPlace, fillInPlace, mulInPlace, mutate, subInPlace, zeroInPlace } from './ops/in-place.ts';
/** The raw GEMM kernel (`C (+)= op(A)·op(B)` on row-major buffers), for hand-written fast paths. @category Linear algebra */
export { gemm } from './kernels/gemm.ts';
export { sigmoidInto } from './kernels/sigmoid.ts';
export { backendInfo, ready, setBackendDebug, type BackendInfo } from './kernels/backend.ts';
export { defineBinary, defineOp, defineUnary } from './ops/define.ts';
export type { BackwardContext, BackwardRule, BinaryFn, BinarySpec, ElementwiseOp, Num, OpDef, ReplayResult, ReplayRule, UnaryFn, UnarySpec } from './ops/define.ts';
export * from './ops/index.ts';
export { DEFAULT_ATOL, DEFAULT_EPS, DEFAULT_RTOL, gradcheck } from './transforms/gradcheck.ts';
export type { GradCheckElement, GradCheckOptions, GradCheckReport, ScalarFn, TensorFn } from './transforms/gradcheck.ts';
export { gradgradcheck } from './transforms/gradgradcheck.ts';
export { grad, hessian, hvp, jacobian, jvp, valueAndGrad, vjp } from './transforms/functional.ts';
export type { ArgNums, GradFunction, JacobianFunction, MultiGradFunction, Primal, Pullback, TensorFunction, ValueAndGradFunction } from './transforms/functional.ts';
export { customOp, type CustomData, type CustomForwardResult, type CustomOpFn, type CustomOpSpec, type CustomOutput } from './transforms/custom-op.ts';
export { explain, Trace, type ExplainOptions, type TraceSend, type TraceStep } from './autograd/explain.ts';
export { CompileError } from './base/errors.ts';
export { compile, type CompiledFunction, type CompileOptions, type CompileStats } from './transforms/compile/compile.ts';
export type { PlanStats } from './transforms/compile/plan.ts';

export { constant, symbol, Sym, type Dim, type SymShape } from './symbolic/expr.ts';
export { backwardSymbolic, type SymBackward, type SymCut, type SymSend, type SymStep } from './symbolic/walk.ts';
export { parseExpression, type Parsed } from './symbolic/parse.ts';
export { derive, prove, simplify, type DeriveStep, type Derivation, type Proof, type Simplified, type SymbolicOptions } from './symbolic/derive.ts';
export type { PrintStyle } from './symbolic/print.ts';
export { traceSymbolic, type SymbolicTrace, type SymbolicTraceStep } from './symbolic/trace.ts';

// Wiring: Tensor and Value methods call the ops through the late-bound table, and Tensor.backward calls
// the engine; the recording layer imports neither (see docs/ARCHITECTURE.md, "Layers").
import { backward as engineBackward } from './autograd/engine.ts';
import { bind } from './graph/bindings.ts';
import { OPS } from './ops/index.ts';

bind({ ops: OPS, backward: engineBackward });

import { brandPrototype } from './base/brand.ts';
import { Tensor as TensorClass } from './graph/tensor.ts';
import { Value as ValueClass } from './graph/value.ts';
// Registered-symbol brands, so another copy of the library recognises these objects (and says so).
brandPrototype(TensorClass.prototype, 'Tensor');
brandPrototype(ValueClass.prototype, 'Value');
