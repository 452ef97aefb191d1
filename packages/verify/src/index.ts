export { defineDerivation, isDerivation, DERIVATION } from './derivation.ts';
export type { DerivationSpec, Derivation, DimRange, Domain, EdgeCase, InputSpec, Inputs, Tolerance } from './derivation.ts';
export { checkCase } from './case.ts';
export type { CaseResult, CaseStatus, CheckCaseOptions, ElementReport } from './case.ts';
export { verifyDerivation } from './search.ts';
export { formatReport } from './report.ts';
export type { Counterexample, Verdict, VerifyOptions, VerifyReport } from './search.ts';
