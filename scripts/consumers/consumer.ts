// Type-checked (not run) under moduleResolution nodenext, bundler and node10 by the consumer check.
import { backendInfo, matmul, ready, tensor, type BackendInfo, type Tensor } from '@tapegrad/core';
import { loadDataset, MLP, type Dataset } from '@tapegrad/nn';
import { readCsvFile } from '@tapegrad/nn/node';
import { toMermaid } from '@tapegrad/viz';

export async function check(): Promise<string> {
  const info: BackendInfo = await ready();
  const ds: Dataset = await loadDataset('digits');
  const y: Tensor = matmul(tensor([[1, 2]]), tensor([[3], [4]]));
  const model = new MLP({ sizes: [64, 10], seed: 1 });
  const table = readCsvFile('x.csv');
  return `${info.wasm} ${backendInfo().threads} ${ds.x.shape.join('x')} ${y.item()} ${model.parameters().length} ${table.rows} ${toMermaid(y).length}`;
}
