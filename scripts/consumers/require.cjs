// require() of the ES module packages (Node 22+ loads ES modules without top-level await synchronously).
const core = require('@tapegrad/core');
const nn = require('@tapegrad/nn');
const y = core.matmul(core.tensor([[1, 2], [3, 4]]), core.tensor([[1], [1]]));
const model = new nn.MLP({ sizes: [2, 3, 1], seed: 1 });
console.log(JSON.stringify({ product: Array.from(y.data), params: model.parameters().length, wasm: core.backendInfo().wasm }));
