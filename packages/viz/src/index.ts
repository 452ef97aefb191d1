/**
 * `@tapegrad/viz`: pictures of the recorded graph (DOT, Mermaid, SVG through WebAssembly Graphviz) and
 * loss curves as SVG line charts.
 * @packageDocumentation
 */
export { graphOf, type Graph, type GraphEdge, type GraphNode, type GraphOptions } from './graph.ts';
export { graphToDot, toDot } from './dot.ts';
export { toMermaid } from './mermaid.ts';
export { dotToSvg, toSvg } from './svg.ts';
export { lossCurve, type EpochHistory, type EpochLoss, type LossCurveOptions, type LossHistory, type LossPoint, type LossSeries } from './plot.ts';
