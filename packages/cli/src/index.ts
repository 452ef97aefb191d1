/**
 * `@tapegrad/cli`: the `tapegrad` command (demo, check, neuron), callable in-process through {@link main}.
 * @packageDocumentation
 */
export { main } from './main.ts';
export { DEMO_DEFAULTS, DemoWriteError, runDemo, type DemoOptions, type DemoReport } from './demo.ts';
export { checkWritableDir, writeFileAtomic } from './files.ts';
export { agreementRows, runCheck, type CheckRow } from './check.ts';
export { runNeuron } from './neuron.ts';
export { memoryIo, processIo, type Io } from './io.ts';
export { DeriveUsageError, runDerive, runExplainSymbolic, symbolicTraces, type SymbolicCase } from './symbolic.ts';
