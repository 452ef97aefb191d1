export { graphOf, type Graph, type GraphEdge, type GraphNode, type GraphOptions } from './graph.ts';
export { toDot } from './dot.ts';
export { toMermaid } from './mermaid.ts';
export { dotToSvg, toSvg } from './svg.ts';
export { lossCurve, type LossCurveOptions, type LossHistory, type LossPoint } from './plot.ts';
