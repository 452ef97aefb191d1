// The element types: DType names them, FloatArray is the typed array behind every tensor and kernel.

/** Element type of a tensor. `float64` is the default: gradient checks need it. @category Autograd */
export type DType = 'float64' | 'float32';

/** The typed array behind a tensor, and the element storage the kernels accept. @category Autograd */
export type FloatArray = Float64Array | Float32Array;
