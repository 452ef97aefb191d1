#!/usr/bin/env python3
"""Writes test/fixtures/torch-gradients.json: small float64 programs with their value and gradients
computed by PyTorch, the outside oracle that test/core/fixtures.test.ts replays at 1e-9.

Run it with Debian's PyTorch (apt-get install python3-torch):

    /usr/bin/python3 scripts/torch-fixtures.py

The programs come from two places:
- test/fixtures/torch-programs-legacy.json: the 34 programs of the original golden file (inputs and
  steps only); their values and gradients are recomputed here;
- the CASES below: programs for the ops models are built from, one or more per option combination
  that changes the backward (stride, padding, dilation, groups, masks, causal, train vs eval).

A step is {out, op, args, opts?, kwargs?, pick?}. An arg is an input or step name, a number, a list
of names (concat), or {"value": literal} (a list of sizes, null, …). `opts` is the legacy form
(axis, keepdims, shape, axes); `kwargs` is the project's options object, whose tensor-valued entries
are {"tensor": name}. `pick` takes one tensor of a list result (split, chunk). Every new program
ends in loss = sum(y·r) with a fixed random r, so the gradients see a random upstream gradient.
Inputs marked `kind: "index"` are integers (int64 for PyTorch). `after` lists the inputs that the
program updates in place (batchNorm's running statistics) with their final values.
"""
import json
import math
import pathlib

import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
ROOT = pathlib.Path(__file__).resolve().parent.parent
LEGACY = ROOT / 'test' / 'fixtures' / 'torch-programs-legacy.json'
OUT = ROOT / 'test' / 'fixtures' / 'torch-gradients.json'


def reduce_op(fn):
    def run(x, o):
        a = o.get('axis')
        keep = o.get('keepdims', False)
        if a is None:
            return fn(x, tuple(range(x.dim())), False) if x.dim() > 0 else fn(x, (), False)
        return fn(x, tuple(a) if isinstance(a, list) else (a,), keep)
    return run


def t_sum(x, dims, keep):
    return x.sum() if dims == () or len(dims) == x.dim() and not keep else x.sum(dim=dims, keepdim=keep)


def t_mean(x, dims, keep):
    return x.mean() if dims == () or len(dims) == x.dim() and not keep else x.mean(dim=dims, keepdim=keep)


def t_max(x, dims, keep):
    return torch.amax(x, dim=dims, keepdim=keep) if dims != () else x


def t_lse(x, dims, keep):
    return torch.logsumexp(x, dim=dims, keepdim=keep) if dims != () else x


def transpose(x, o):
    axes = o.get('axes')
    if axes is None:
        return x.transpose(-1, -2) if x.dim() >= 2 else x
    return x.permute(*axes)


def attention(q, k, v, kw):
    d = q.shape[-1]
    scale = kw.get('scale', 1 / math.sqrt(d))
    s = q @ k.transpose(-1, -2) * scale
    lq, lk = s.shape[-2], s.shape[-1]
    allow = None
    if 'mask' in kw:
        allow = kw['mask'] != 0
    if kw.get('causal'):
        tri = torch.ones(lq, lk).tril().bool()
        allow = tri if allow is None else allow & tri
    if allow is not None:
        s = s.masked_fill(~allow, float('-inf'))
    return torch.softmax(s, -1) @ v


def pairs(kw, *names):
    return {n: kw[c] for c, n in names if c in kw}


WIN = (('stride', 'stride'), ('padding', 'padding'), ('dilation', 'dilation'))

# The project's op name → PyTorch, with (positional args, options object).
OPS = {
    # legacy ops (opts)
    'add': lambda a, o: torch.add(*a), 'sub': lambda a, o: torch.sub(*a), 'mul': lambda a, o: torch.mul(*a),
    'div': lambda a, o: torch.div(*a), 'pow': lambda a, o: torch.pow(*a),
    'maximum': lambda a, o: torch.maximum(*a), 'minimum': lambda a, o: torch.minimum(*a),
    'neg': lambda a, o: -a[0], 'exp': lambda a, o: a[0].exp(), 'log': lambda a, o: a[0].log(), 'log1p': lambda a, o: a[0].log1p(),
    'sqrt': lambda a, o: a[0].sqrt(), 'abs': lambda a, o: a[0].abs(), 'square': lambda a, o: a[0] * a[0],
    'sigmoid': lambda a, o: a[0].sigmoid(), 'tanh': lambda a, o: a[0].tanh(), 'relu': lambda a, o: a[0].relu(),
    'softplus': lambda a, o: F.softplus(a[0]), 'sin': lambda a, o: a[0].sin(), 'cos': lambda a, o: a[0].cos(),
    'sum': lambda a, o: reduce_op(t_sum)(a[0], o), 'mean': lambda a, o: reduce_op(t_mean)(a[0], o),
    'max': lambda a, o: reduce_op(t_max)(a[0], o), 'logsumexp': lambda a, o: reduce_op(t_lse)(a[0], o),
    'softmax': lambda a, o: torch.softmax(a[0], o.get('axis', -1)), 'logSoftmax': lambda a, o: torch.log_softmax(a[0], o.get('axis', -1)),
    'matmul': lambda a, o: a[0] @ a[1], 'transpose': lambda a, o: transpose(a[0], o), 'reshape': lambda a, o: a[0].reshape(o['shape'] if 'shape' in o else a[1]),
    'concat': lambda a, o: torch.cat(a[0], o.get('axis', 0)),
    'binaryCrossEntropy': lambda a, o: F.binary_cross_entropy(a[0], a[1]),
    'binaryCrossEntropyWithLogits': lambda a, o: F.binary_cross_entropy_with_logits(a[0], a[1]),
    'mseLoss': lambda a, o: F.mse_loss(a[0], a[1]), 'crossEntropy': lambda a, o: F.cross_entropy(a[0], a[1].long()),
    # ops for models (kwargs)
    'erf': lambda a, k: torch.erf(a[0]), 'gelu': lambda a, k: F.gelu(a[0]), 'silu': lambda a, k: F.silu(a[0]),
    'logSigmoid': lambda a, k: F.logsigmoid(a[0]),
    'leakyRelu': lambda a, k: F.leaky_relu(a[0], k.get('negativeSlope', 0.01)), 'elu': lambda a, k: F.elu(a[0], k.get('alpha', 1.0)),
    'gather': lambda a, k: torch.gather(a[0], a[1], a[2].long()),
    'scatterAdd': lambda a, k: a[0].scatter_add(a[1], a[2].long(), a[3]),
    'indexSelect': lambda a, k: torch.index_select(a[0], a[1], a[2].long()),
    'embedding': lambda a, k: F.embedding(a[0].long(), a[1], padding_idx=k.get('paddingIdx')),
    'oneHot': lambda a, k: F.one_hot(a[0].long(), a[1]).double(),
    'argmax': lambda a, k: torch.argmax(a[0], dim=a[1] if len(a) > 1 else None, keepdim=k.get('keepdims', False)).double(),
    'argmin': lambda a, k: torch.argmin(a[0], dim=a[1] if len(a) > 1 else None, keepdim=k.get('keepdims', False)).double(),
    'layerNorm': lambda a, k: F.layer_norm(a[0], a[1] if isinstance(a[1], list) else [a[1]], a[2], a[3], k.get('eps', 1e-5)),
    'cumsum': lambda a, k: torch.cumsum(a[0], a[1]),
    'flip': lambda a, k: torch.flip(a[0], a[1] if isinstance(a[1], list) else [a[1]]),
    'split': lambda a, k: torch.split(a[0], a[1], a[2] if len(a) > 2 else 0),
    'chunk': lambda a, k: torch.chunk(a[0], a[1], a[2] if len(a) > 2 else 0),
    'pad': lambda a, k: F.pad(a[0], a[1], value=k.get('value', 0.0)),
    'tile': lambda a, k: torch.tile(a[0], a[1]), 'repeat': lambda a, k: a[0].repeat(*a[1]),
    'unfold': lambda a, k: F.unfold(a[0], a[1], **pairs(k, *WIN)),
    'fold': lambda a, k: F.fold(a[0], a[1], a[2], **pairs(k, *WIN)),
    'conv2d': lambda a, k: F.conv2d(a[0], a[1], a[2], **pairs(k, *WIN, ('groups', 'groups'))),
    'conv1d': lambda a, k: F.conv1d(a[0], a[1], a[2], **pairs(k, *WIN, ('groups', 'groups'))),
    'convTranspose2d': lambda a, k: F.conv_transpose2d(a[0], a[1], a[2], **pairs(k, ('stride', 'stride'), ('padding', 'padding'), ('outputPadding', 'output_padding'), ('groups', 'groups'), ('dilation', 'dilation'))),
    'maxPool2d': lambda a, k: F.max_pool2d(a[0], k['kernelSize'], k.get('stride'), k.get('padding', 0), k.get('dilation', 1)),
    'avgPool2d': lambda a, k: F.avg_pool2d(a[0], k['kernelSize'], k.get('stride'), k.get('padding', 0), count_include_pad=k.get('countIncludePad', True)),
    'adaptiveAvgPool2d': lambda a, k: F.adaptive_avg_pool2d(a[0], a[1]),
    'batchNorm': lambda a, k: F.batch_norm(a[0], a[1], a[2], a[3], a[4], k.get('training', False), k.get('momentum', 0.1), k.get('eps', 1e-5)),
    'scaledDotProductAttention': lambda a, k: attention(a[0], a[1], a[2], k),
    'einsum': lambda a, k: torch.einsum(a[0], *a[1:]),
}


def as_list(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def run(program):
    """Evaluates a program with PyTorch; returns (env, inputs as torch tensors)."""
    env = {}
    for name, t in program['inputs'].items():
        data = torch.tensor(t['data'], dtype=torch.float64).reshape(t['shape'])
        if t.get('kind') == 'index':
            data = data.long()
        elif t.get('requiresGrad'):
            data.requires_grad_(True)
        env[name] = data

    def resolve(a):
        if isinstance(a, str):
            return env[a]
        if isinstance(a, list):
            return [env[n] for n in a]
        if isinstance(a, dict):
            return a['value']
        return a

    for step in program['steps']:
        args = [resolve(a) for a in step['args']]
        if 'kwargs' in step:
            kw = {k: (env[v['tensor']] if isinstance(v, dict) and 'tensor' in v else v) for k, v in step['kwargs'].items()}
            y = OPS[step['op']](args, kw)
        else:
            y = OPS[step['op']](args, step.get('opts') or {})
        if 'pick' in step:
            y = y[step['pick']]
        if y.requires_grad:
            y.retain_grad()
        env[step['out']] = y
    return env


def tensor_json(t, **extra):
    return {'shape': list(t.shape), 'data': as_list(t), **extra}


def finish(program):
    """Runs the program, backpropagates from its output, and attaches value, gradients and updated inputs."""
    before = {n: list(t['data']) for n, t in program['inputs'].items()}
    env = run(program)
    out = env[program['output']]
    out.backward()
    case = dict(program)
    case.pop('intermediates', None)
    case['dtype'] = 'float64'
    case['value'] = float(out.item())
    case['grads'] = {n: tensor_json(env[n].grad) for n, t in program['inputs'].items() if t.get('requiresGrad')}
    if program.get('intermediates'):
        case['intermediateGrads'] = {n: tensor_json(env[n].grad) for n in program['intermediates']}
    after = {n: as_list(env[n]) for n, t in program['inputs'].items()
             if t.get('kind') != 'index' and as_list(env[n]) != before[n]}
    if after:
        case['after'] = after
    return case


# ---- programs for the ops models are built from ----

_seed = [1000]


def rand(shape, kind='normal'):
    _seed[0] += 1
    g = torch.Generator().manual_seed(_seed[0])
    n = math.prod(shape)
    if kind == 'normal':
        x = torch.randn(n, generator=g)
    elif kind == 'distinct':  # no ties, for max pooling and argmax
        x = (torch.randperm(n, generator=g).double() - n / 2) * 0.1 + 0.03 * torch.rand(n, generator=g)
    elif kind == 'away':  # at least 0.2 from 0, for the kinks of leakyRelu and elu
        x = (0.2 + torch.rand(n, generator=g)) * torch.where(torch.rand(n, generator=g) < 0.5, -1.0, 1.0)
    else:
        raise ValueError(kind)
    return {'shape': list(shape), 'data': as_list(x), 'requiresGrad': True}


def const(data, shape=None):
    t = torch.tensor(data, dtype=torch.float64)
    return {'shape': list(shape if shape is not None else t.shape), 'data': as_list(t), 'requiresGrad': False}


def index(data):
    t = torch.tensor(data, dtype=torch.float64)
    return {'shape': list(t.shape), 'data': as_list(t), 'kind': 'index'}


def step(out, op, *args, pick=None, **kwargs):
    s = {'out': out, 'op': op, 'args': [({'value': a} if isinstance(a, list) and (not a or not isinstance(a[0], str)) or a is None else a) for a in args]}
    if kwargs:
        s['kwargs'] = {k: ({'tensor': v[1:]} if isinstance(v, str) and v.startswith('@') else v) for k, v in kwargs.items()}
    else:
        s['kwargs'] = {}
    if pick is not None:
        s['pick'] = pick
    return s


CASES = []


def case(name, note, inputs, *steps):
    """A program ending in loss = sum(y·r), y the last step, r a fixed random tensor of y's shape."""
    program = {'name': name, 'note': note, 'inputs': dict(inputs), 'steps': list(steps), 'output': steps[-1]['out']}
    y = run(program)[steps[-1]['out']]
    r = rand(list(y.shape))
    r['requiresGrad'] = False
    program['inputs']['r'] = r
    program['steps'] += [step('yr', 'mul', steps[-1]['out'], 'r'), step('loss', 'sum', 'yr')]
    program['output'] = 'loss'
    CASES.append(program)


# activations
case('erf', 'erf over a wide range', {'x': rand([2, 4])}, step('y', 'erf', 'x'))
case('gelu', 'exact (erf) gelu', {'x': rand([2, 4])}, step('y', 'gelu', 'x'))
case('silu', 'x·σ(x)', {'x': rand([2, 4])}, step('y', 'silu', 'x'))
case('log_sigmoid', 'ln σ(x), with large |x|', {'x': {**rand([5]), 'data': [-40.0, -2.5, 0.3, 1.7, 35.0]}}, step('y', 'logSigmoid', 'x'))
case('leaky_relu_default', 'negative slope 0.01', {'x': rand([2, 3], 'away')}, step('y', 'leakyRelu', 'x'))
case('leaky_relu_slope', 'negative slope 0.2', {'x': rand([2, 3], 'away')}, step('y', 'leakyRelu', 'x', negativeSlope=0.2))
case('elu_default', 'alpha 1', {'x': rand([2, 3], 'away')}, step('y', 'elu', 'x'))
case('elu_alpha', 'alpha 0.5', {'x': rand([2, 3], 'away')}, step('y', 'elu', 'x', alpha=0.5))
# indexing
case('gather_axis1', 'a repeated index along axis 1', {'x': rand([3, 4]), 'i': index([[0, 3], [1, 1], [2, 0]])}, step('y', 'gather', 'x', 1, 'i'))
case('gather_axis0', 'index smaller than x along axis 0', {'x': rand([3, 2]), 'i': index([[2, 0], [2, 2]])}, step('y', 'gather', 'x', 0, 'i'))
case('scatter_add', 'into x and from src, repeated targets', {'x': rand([3, 4]), 's': rand([3, 2]), 'i': index([[0, 3], [1, 1], [2, 0]])},
     step('y', 'scatterAdd', 'x', 1, 'i', 's'))
case('index_select_axis0', 'a repeated row', {'x': rand([4, 3]), 'i': index([3, 0, 3])}, step('y', 'indexSelect', 'x', 0, 'i'))
case('index_select_axis_last', 'along the last axis', {'x': rand([2, 3, 2]), 'i': index([1, 0, 1])}, step('y', 'indexSelect', 'x', -1, 'i'))
case('embedding', 'a repeated row', {'w': rand([5, 3]), 'i': index([[0, 4], [4, 2]])}, step('y', 'embedding', 'i', 'w'))
case('embedding_padding_idx', 'the padding row gets no gradient', {'w': rand([5, 3]), 'i': index([1, 4, 1, 0])}, step('y', 'embedding', 'i', 'w', paddingIdx=1))
case('one_hot_argmax', 'oneHot(argmax(x)) has no gradient; the product does', {'x': rand([3, 4], 'distinct')},
     step('a', 'argmax', 'x', 1), step('h', 'oneHot', 'a', 4), step('y', 'mul', 'h', 'x'))
case('argmin_keepdims', 'argmin with keepdims scales x', {'x': rand([3, 4], 'distinct')},
     step('a', 'argmin', 'x', 1, keepdims=True), step('y', 'mul', 'x', 'a'))
case('layer_norm', 'no weight or bias', {'x': rand([2, 5])}, step('y', 'layerNorm', 'x', [5], None, None))
case('layer_norm_affine', 'weight and bias', {'x': rand([3, 4]), 'w': rand([4]), 'b': rand([4])}, step('y', 'layerNorm', 'x', [4], 'w', 'b'))
case('layer_norm_two_axes', 'over [2, 3], weight only, eps 1e-3', {'x': rand([2, 2, 3]), 'w': rand([2, 3])},
     step('y', 'layerNorm', 'x', [2, 3], 'w', None, eps=1e-3))
case('cumsum', 'along axis 1', {'x': rand([2, 4])}, step('y', 'cumsum', 'x', 1))
case('cumsum_first', 'along axis 0 of 3', {'x': rand([3, 2, 2])}, step('y', 'cumsum', 'x', 0))
case('flip', 'axes [0, 2]', {'x': rand([2, 3, 2])}, step('y', 'flip', 'x', [0, 2]))
case('split_sizes', 'second piece of sections [1, 3]', {'x': rand([4, 2])}, step('p', 'split', 'x', [1, 3], 0, pick=1), step('y', 'square', 'p'))
case('split_size', 'last, shorter piece of size-2 pieces', {'x': rand([2, 5])}, step('y', 'split', 'x', 2, 1, pick=2))
case('chunk', 'second of 3 chunks', {'x': rand([2, 7])}, step('y', 'chunk', 'x', 3, 1, pick=1))
case('pad', 'two axes, value 0.5', {'x': rand([2, 3])}, step('y', 'pad', 'x', [1, 2, 0, 1], value=0.5))
case('tile', 'reps shorter than rank', {'x': rand([2, 3])}, step('y', 'tile', 'x', [2]))
case('repeat', 'new leading axes', {'x': rand([3])}, step('y', 'repeat', 'x', [2, 1, 2]))
# convolution and pooling
case('unfold', 'kernel 2, stride 2, padding 1, dilation [1, 2]', {'x': rand([2, 2, 4, 5])}, step('y', 'unfold', 'x', [2, 2], stride=2, padding=1, dilation=[1, 2]))
case('fold', 'overlapping windows add up', {'c': rand([1, 8, 4])}, step('y', 'fold', 'c', [3, 3], [2, 2]))
case('conv2d_bias', 'plain, with bias', {'x': rand([2, 3, 5, 5]), 'w': rand([4, 3, 3, 3]), 'b': rand([4])}, step('y', 'conv2d', 'x', 'w', 'b'))
case('conv2d_stride_padding', 'stride 2, padding 1', {'x': rand([2, 2, 6, 5]), 'w': rand([3, 2, 3, 3]), 'b': rand([3])}, step('y', 'conv2d', 'x', 'w', 'b', stride=2, padding=1))
case('conv2d_dilation', 'dilation 2, padding [1, 0], no bias', {'x': rand([1, 2, 6, 6]), 'w': rand([2, 2, 2, 3])}, step('y', 'conv2d', 'x', 'w', None, dilation=2, padding=[1, 0]))
case('conv2d_groups', 'groups 2', {'x': rand([2, 4, 4, 4]), 'w': rand([6, 2, 3, 3]), 'b': rand([6])}, step('y', 'conv2d', 'x', 'w', 'b', groups=2))
case('conv2d_depthwise', 'depthwise (groups = C), stride [2, 1]', {'x': rand([1, 3, 5, 4]), 'w': rand([3, 1, 2, 2]), 'b': rand([3])},
     step('y', 'conv2d', 'x', 'w', 'b', groups=3, stride=[2, 1]))
case('conv2d_all', 'stride 2, padding 2, dilation 2, groups 2', {'x': rand([2, 4, 7, 7]), 'w': rand([4, 2, 3, 3]), 'b': rand([4])},
     step('y', 'conv2d', 'x', 'w', 'b', stride=2, padding=2, dilation=2, groups=2))
case('conv1d_bias', 'plain, with bias', {'x': rand([2, 3, 6]), 'w': rand([4, 3, 3]), 'b': rand([4])}, step('y', 'conv1d', 'x', 'w', 'b'))
case('conv1d_options', 'stride 2, padding 1, dilation 2, groups 2', {'x': rand([1, 4, 9]), 'w': rand([2, 2, 3])},
     step('y', 'conv1d', 'x', 'w', None, stride=2, padding=1, dilation=2, groups=2))
case('max_pool2d', 'kernel 2', {'x': rand([2, 2, 4, 4], 'distinct')}, step('y', 'maxPool2d', 'x', kernelSize=2))
case('max_pool2d_overlap', 'kernel 3, stride 2, padding 1: overlapping windows', {'x': rand([1, 2, 5, 5], 'distinct')},
     step('y', 'maxPool2d', 'x', kernelSize=3, stride=2, padding=1))
case('max_pool2d_dilation', 'kernel 2, stride 1, dilation [2, 1]', {'x': rand([1, 1, 5, 4], 'distinct')},
     step('y', 'maxPool2d', 'x', kernelSize=2, stride=1, dilation=[2, 1]))
case('avg_pool2d', 'kernel 2', {'x': rand([2, 2, 4, 4])}, step('y', 'avgPool2d', 'x', kernelSize=2))
case('avg_pool2d_padding', 'kernel 3, stride 2, padding 1, padding counted', {'x': rand([1, 2, 5, 5])},
     step('y', 'avgPool2d', 'x', kernelSize=3, stride=2, padding=1))
case('avg_pool2d_exclude_pad', 'kernel 3, stride 2, padding 1, countIncludePad false', {'x': rand([1, 2, 5, 5])},
     step('y', 'avgPool2d', 'x', kernelSize=3, stride=2, padding=1, countIncludePad=False))
case('adaptive_avg_pool2d', '5×5 to 3×2, uneven windows', {'x': rand([2, 2, 5, 5])}, step('y', 'adaptiveAvgPool2d', 'x', [3, 2]))
case('adaptive_avg_pool2d_global', 'global average', {'x': rand([2, 3, 3, 4])}, step('y', 'adaptiveAvgPool2d', 'x', [1, 1]))
# normalisation
case('batch_norm_train', 'training, weight and bias, running statistics updated', {
    'x': rand([3, 2, 2, 2]), 'w': rand([2]), 'b': rand([2]), 'rm': const([0.1, -0.2]), 'rv': const([0.9, 1.3])},
    step('y', 'batchNorm', 'x', 'rm', 'rv', 'w', 'b', training=True, momentum=0.3))
case('batch_norm_train_2d', 'training on [N, C], no affine, no running statistics, eps 1e-3', {'x': rand([4, 3])},
     step('y', 'batchNorm', 'x', None, None, None, None, training=True, eps=1e-3))
case('batch_norm_eval', 'eval: running statistics, weight and bias', {
    'x': rand([2, 2, 3]), 'w': rand([2]), 'b': rand([2]), 'rm': const([0.2, -0.1]), 'rv': const([1.5, 0.7])},
    step('y', 'batchNorm', 'x', 'rm', 'rv', 'w', 'b'))
# attention
case('attention', 'softmax(q·kᵀ/√d)·v', {'q': rand([3, 4]), 'k': rand([5, 4]), 'v': rand([5, 2])}, step('y', 'scaledDotProductAttention', 'q', 'k', 'v'))
case('attention_causal', 'batched, causal', {'q': rand([2, 4, 3]), 'k': rand([2, 4, 3]), 'v': rand([2, 4, 2])},
     step('y', 'scaledDotProductAttention', 'q', 'k', 'v', causal=True))
case('attention_mask', 'a key mask and scale 0.7', {'q': rand([3, 2]), 'k': rand([4, 2]), 'v': rand([4, 2]), 'm': const([[1, 0, 1, 1], [1, 1, 0, 0], [0, 1, 1, 1]])},
     step('y', 'scaledDotProductAttention', 'q', 'k', 'v', mask='@m', scale=0.7))
# transposed convolution and einsum
case('conv_transpose2d_bias', 'plain, with bias', {'x': rand([2, 2, 3, 3]), 'w': rand([2, 3, 2, 2]), 'b': rand([3])}, step('y', 'convTranspose2d', 'x', 'w', 'b'))
case('conv_transpose2d_stride', 'stride 2, padding 1, outputPadding 1', {'x': rand([1, 2, 3, 2]), 'w': rand([2, 2, 3, 3])},
     step('y', 'convTranspose2d', 'x', 'w', None, stride=2, padding=1, outputPadding=1))
case('conv_transpose2d_groups_dilation', 'groups 2, dilation 2', {'x': rand([1, 4, 2, 2]), 'w': rand([4, 1, 2, 2]), 'b': rand([2])},
     step('y', 'convTranspose2d', 'x', 'w', 'b', groups=2, dilation=2))
case('einsum_matmul', "'ij,jk->ik'", {'a': rand([2, 3]), 'b': rand([3, 4])}, step('y', 'einsum', {'value': 'ij,jk->ik'}, 'a', 'b'))
case('einsum_batched', "'bij,bjk->bki'", {'a': rand([2, 2, 3]), 'b': rand([2, 3, 2])}, step('y', 'einsum', {'value': 'bij,bjk->bki'}, 'a', 'b'))
case('einsum_outer', "'i,j' (implicit output)", {'a': rand([3]), 'b': rand([2])}, step('y', 'einsum', {'value': 'i,j'}, 'a', 'b'))
case('einsum_trace', "'ii->' times a scalar", {'a': rand([3, 3])}, step('y', 'einsum', {'value': 'ii->'}, 'a'))
case('einsum_diagonal_sum', "'bii->bi' and 'ijk->j'", {'a': rand([2, 3, 3]), 'c': rand([2, 3, 2])},
     step('d', 'einsum', {'value': 'bii->bi'}, 'a'), step('s', 'einsum', {'value': 'ijk->j'}, 'c'), step('y', 'mul', 'd', 's'))
case('einsum_three', "'ij,jk,kl->il'", {'a': rand([2, 3]), 'b': rand([3, 2]), 'c': rand([2, 2])}, step('y', 'einsum', {'value': 'ij,jk,kl->il'}, 'a', 'b', 'c'))
# small models
case('tiny_cnn', 'conv, relu, max-pool, conv, relu, global average, linear, cross-entropy', {
    'x': rand([2, 1, 6, 6]), 'w1': rand([3, 1, 3, 3]), 'b1': rand([3]), 'w2': rand([4, 3, 2, 2]), 'b2': rand([4]), 'W': rand([4, 3]),
    'labels': index([2, 0])},
    step('c1', 'conv2d', 'x', 'w1', 'b1', padding=1), step('r1', 'relu', 'c1'), step('p1', 'maxPool2d', 'r1', kernelSize=2),
    step('c2', 'conv2d', 'p1', 'w2', 'b2'), step('r2', 'relu', 'c2'), step('g', 'adaptiveAvgPool2d', 'r2', [1, 1]),
    step('f', 'reshape', 'g', [2, 4]), step('z', 'matmul', 'f', 'W'), step('y', 'crossEntropy', 'z', 'labels'))
case('tiny_transformer_block', 'embedding, layerNorm, causal attention, gelu MLP, residuals', {
    'E': rand([6, 4]), 'tok': index([[1, 5, 2], [0, 0, 3]]), 'g': rand([4]), 'b': rand([4]), 'Wq': rand([4, 4]), 'Wk': rand([4, 4]), 'Wv': rand([4, 4]),
    'W1': rand([4, 8]), 'W2': rand([8, 4])},
    step('e', 'embedding', 'tok', 'E'), step('h', 'layerNorm', 'e', [4], 'g', 'b'),
    step('q', 'matmul', 'h', 'Wq'), step('k', 'matmul', 'h', 'Wk'), step('v', 'matmul', 'h', 'Wv'),
    step('a', 'scaledDotProductAttention', 'q', 'k', 'v', causal=True), step('s', 'add', 'e', 'a'),
    step('m1', 'matmul', 's', 'W1'), step('m2', 'gelu', 'm1'), step('m3', 'matmul', 'm2', 'W2'), step('y', 'add', 's', 'm3'))


def main():
    legacy = json.loads(LEGACY.read_text())['programs']
    cases = [finish(p) for p in legacy] + [finish(p) for p in CASES]
    OUT.write_text(json.dumps({
        'generator': f'scripts/torch-fixtures.py with PyTorch {torch.__version__}, float64',
        'format': 'see the docstring of scripts/torch-fixtures.py and test/fixtures/README.md',
        'cases': cases,
    }, indent=1) + '\n')
    print(f'{len(cases)} cases ({len(legacy)} legacy, {len(CASES)} new) → {OUT.relative_to(ROOT)}')


if __name__ == '__main__':
    main()
