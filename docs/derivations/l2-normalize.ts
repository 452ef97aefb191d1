/**
 * L2 normalisation of each row: y = x/‖x‖.
 *
 *   ∂yⱼ/∂xₗ = ([j = l] − yⱼ·yₗ)/‖x‖
 *   ⇒ ∂⟨u, y⟩/∂x = (u − y·⟨y, u⟩)/‖x‖
 */
import { defineDerivation } from '@tapegrad/verify';

export default defineDerivation({
  name: 'L2 normalise: (u − y⟨y, u⟩)/‖x‖',
  inputs: { x: { shape: ['m', 'k'] } },
  f: ({ x }) => x.div(x.square().sum(-1, true).sqrt()),
  grad: ({ x }, u) => {
    const norm = x.square().sum(-1, true).sqrt();
    const y = x.div(norm);
    return { x: u.sub(y.mul(y.mul(u).sum(-1, true))).div(norm) };
  },
});
