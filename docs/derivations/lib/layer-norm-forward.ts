/** The layer-norm forward pass shared by the two layer-norm derivations, written with primitive ops. */
import type { Tensor } from '@tapegrad/core';

/** y = γ·(x − μ)/√(σ² + ε) + β over the last axis, ε = 1e-5. */
export function layerNorm(x: Tensor, gamma: Tensor, beta: Tensor): Tensor {
  const centred = x.sub(x.mean(-1, true));
  const s = centred.square().mean(-1, true).add(1e-5).sqrt();
  return centred.div(s).mul(gamma).add(beta);
}
