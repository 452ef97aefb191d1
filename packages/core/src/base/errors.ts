// The typed errors: TapegradError and its subclasses, one per kind of mistake.
/**
 * Every error tapegrad throws is a {@link TapegradError}, so callers can catch the whole family at once
 * and tell the kinds apart with `instanceof`.
 *
 * Messages follow one format: `<op>: <expected>, got <actual>`, naming the argument and printing
 * shapes as `[2, 3]`.
 * @category Autograd
 */
export class TapegradError extends Error {
  /** @param message The full message, starting with the op's name. */
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * The style guide's name for the base class; the same class as {@link TapegradError}.
 * @category Autograd
 */
export const AutogradError: typeof TapegradError = TapegradError;

/** Shapes that do not fit together: broadcasting, matmul, reshape, bad axes. @category Autograd */
export class ShapeError extends TapegradError {}

/** Mixed or unsupported dtypes. @category Autograd */
export class DTypeError extends TapegradError {}

/** Problems of the backward pass: no rule, a released graph, a non-scalar root without a seed. @category Autograd */
export class GradError extends TapegradError {}

/** A gradient check found analytic and numeric gradients apart. @category Autograd */
export class GradCheckError extends TapegradError {}

/** Any other bad argument: a negative learning rate, a malformed CSV row, a label out of range. @category Autograd */
export class ArgumentError extends TapegradError {}

/**
 * Anomaly mode ({@link detectAnomaly}) found NaN or ±Inf: the message names the op, the phase (forward or
 * backward), the input shapes and the line of the caller's code where the op was called.
 * @category Autograd
 */
export class AnomalyError extends TapegradError {}

/**
 * Thrown by `compile` when it cannot trace a function faithfully: it branches on values, changes storage
 * behind the tracer's back, uses a hook, or calls an op the planner cannot replay.
 * @category Autograd
 */
export class CompileError extends TapegradError {}
