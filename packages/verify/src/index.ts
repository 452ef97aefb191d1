/**
 * `@tapegrad/verify`: check a hand-derived gradient against the engine and central differences over
 * sampled shapes and values, with shrunk counterexamples (`defineDerivation`, `verifyDerivation`).
 * @packageDocumentation
 */
export { defineDerivation, isDerivation, DERIVATION } from './derivation.ts';
export type { DerivationSpec, Derivation, DimRange, Domain, EdgeCase, InputSpec, Inputs, Tolerance } from './derivation.ts';
export { checkCase } from './case.ts';
export type { CaseResult, CaseStatus, CheckCaseOptions, ElementReport } from './case.ts';
export { verifyDerivation } from './search.ts';
export { formatReport } from './report.ts';
export type { Counterexample, Verdict, VerifyOptions, VerifyReport } from './search.ts';
export { checkOp } from './check-op.ts';
export type { OpCheck, OpFn, OpReport, OpSpec } from './check-op.ts';
