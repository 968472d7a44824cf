"""What each real counting tool adds up, layer by layer (notebooks 03 and 10).

``TOOL_RULES[tool](kind, in_shape, cost)`` gives the named parts that ``tool`` counts for one
row of ``layer_costs`` (one sample); ``counting.tool_total`` sums them over a network. Each
rule was read from the tool's source and checked against the tool's own printed total on the
PyTorch twin of every zoo model (tests/test_counting.py stores those printed figures with the
tool versions: thop 0.1.1-2209072238, fvcore 0.1.5.post20221221, torchinfo 1.8.0, ptflops 0.7.5).

- thop (``thop.profile``): per leaf module with a rule in ``thop/profile.py``'s
  ``register_hooks``. conv/linear MACs; a ConvTranspose2d counted as a conv on its output
  (``output elements x C_in/groups x K*K``); BatchNorm and LayerNorm 4 per element (2 per
  element, doubled for the affine); average pooling one per output, adaptive average pooling
  ``(window + 1)`` per output with the window ``in/out`` as a fraction; Upsample 1 (nearest) or
  11 (bilinear) per output. Activations, max pooling, ``nn.MultiheadAttention`` and any other
  module: 0.
- fvcore (``FlopCountAnalysis``): per aten op in its default handles (``fvcore/nn/jit_handles.py``),
  one "flop" per multiply-accumulate: conv (transposed too), linear and matmul MACs, but not
  ``scaled_dot_product_attention`` (attention counts its projections only); batch_norm 2 per
  element at inference, layer_norm 5; adaptive_avg_pool2d one per input element; upsample 1 or 4
  per output. Element-wise ops (ReLU, add, mul, pooling windows): 0.
- torchinfo (``summary(...).total_mult_adds``): per module with ``weight``/``bias`` parameters
  (``LayerInfo.calculate_macs``): a conv's parameters times its output pixels (conv MACs +
  one add per output for the bias; for a ConvTranspose2d all its weights at every output pixel),
  any other layer's parameters once per sample (Linear: in*out + out even on a token sequence;
  BatchNorm and LayerNorm: their scale and shift). Parameters named otherwise (the ViT class
  token and positions here) and ``nn.MultiheadAttention``'s: 0.
- ptflops (``get_model_complexity_info``, default PyTorch backend): module hooks plus patched
  ``torch.nn.functional`` and tensor ops, so a module that calls a patched function counts
  twice: conv/linear MACs + bias adds; ReLU, GELU 2 per element (module + F.relu / F.gelu),
  ReLU6 and SiLU 1 (their functions are not patched), Sigmoid, Tanh, Hardswish, Hardsigmoid 0;
  BatchNorm 2 per element, LayerNorm 1; every pooling 2 per INPUT element; Upsample 2 per
  output; MultiheadAttention: its MACs + one per softmax score + 2 per token feature (+ 3 with
  biases); LocalResponseNorm: the tensor ops inside it (x*x, *alpha, +k: 3 per element) and its
  avg_pool3d's channel-padded input ((C + size - 1) x H x W).
"""
from __future__ import annotations

from fractions import Fraction
import math

__all__ = ["TOOL_RULES"]


def _n(shape) -> int:
    return math.prod(shape)


def _hw(shape) -> int:
    return shape[1] * shape[2]


def _lrn_size(in_shape, cost) -> int:
    return cost.lrn_ops // _n(in_shape) - 4   # lrn_ops = (size + 4) per element


def _thop(kind, in_shape, cost):
    if kind in ("Conv2d", "Linear"):
        return {"macs": cost.macs}
    if kind == "ConvTranspose2d":
        return {"ConvTranspose2d as a conv on its output": cost.macs * _hw(cost.out_shape) // _hw(in_shape)}
    if kind in ("BatchNorm2d", "LayerNorm"):
        return {"4 x norm elements": 4 * _n(in_shape)}
    if kind == "AvgPool2d":
        return {"avg pool outputs": _n(cost.out_shape)}
    if kind == "AdaptiveAvgPool2d":
        (c, h, w), (_, oh, ow) = in_shape, cost.out_shape
        return {"adaptive pool (window + 1) x outputs": (Fraction(h, oh) * Fraction(w, ow) + 1) * c * oh * ow}
    if kind == "Upsample":
        outputs = _n(cost.out_shape)
        return {"upsample outputs x (1 nearest, 11 bilinear)": outputs * (1 if cost.upsample_ops == outputs else 11)}
    return {}


def _fvcore(kind, in_shape, cost):
    if kind in ("Conv2d", "ConvTranspose2d", "Linear"):
        return {"macs": cost.macs}
    if kind == "MultiheadAttention":
        tokens, features = in_shape
        return {"attention projections (no Q K^T, softmax V)": cost.macs - 2 * tokens * tokens * features}
    if kind == "BatchNorm2d":
        return {"norm_ops": cost.norm_ops}
    if kind == "LayerNorm":
        return {"layernorm_ops": cost.layernorm_ops}
    if kind == "AdaptiveAvgPool2d":
        return {"adaptive pool inputs": _n(in_shape)}
    if kind == "Upsample":
        return {"upsample_ops": cost.upsample_ops}
    return {}


def _torchinfo(kind, in_shape, cost):
    if kind == "Conv2d" or (kind == "Linear" and len(in_shape) == 1):
        return {"macs": cost.macs, "bias_adds": cost.bias_adds}
    if kind == "ConvTranspose2d":
        return {"ConvTranspose2d weights x output pixels": cost.params * _hw(cost.out_shape)}
    if kind == "Linear":
        return {"Linear weights once (tokens ignored)": cost.params}
    if kind in ("BatchNorm2d", "LayerNorm", "Embedding"):
        return {"norm and embedding weights": cost.params}
    return {}


def _ptflops(kind, in_shape, cost):
    if kind in ("Conv2d", "ConvTranspose2d", "Linear"):
        return {"macs": cost.macs, "bias_adds": cost.bias_adds}
    if kind == "MultiheadAttention":
        tokens, features = in_shape
        extra = cost.softmax_ops + 2 * tokens * features + (3 * tokens * features if cost.bias_adds else 0)
        return {"macs": cost.macs, "attention extras (softmax scores, biases)": extra}
    if kind == "ReLU":
        return {"2 x activation_ops": 2 * cost.activation_ops}
    if kind == "ReLU6":
        return {"ReLU6 and SiLU elements (once)": cost.activation_ops}
    if kind == "SiLU":
        return {"ReLU6 and SiLU elements (once)": cost.smooth_activation_ops}
    if kind == "GELU":
        return {"2 x GELU elements": 2 * cost.smooth_activation_ops}
    if kind == "BatchNorm2d":
        return {"norm_ops": cost.norm_ops}
    if kind == "LayerNorm":
        return {"LayerNorm elements": _n(in_shape)}
    if kind in ("MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d"):
        return {"2 x pool_inputs": 2 * cost.pool_inputs}
    if kind == "Upsample":
        return {"2 x upsample outputs": 2 * _n(cost.out_shape)}
    if kind == "LocalResponseNorm":
        c, h, w = in_shape
        return {"LRN's tensor ops": 3 * _n(in_shape) + (c + _lrn_size(in_shape, cost) - 1) * h * w}
    return {}


def _flops(kind, in_shape, cost):
    return {"2 x macs": 2 * cost.macs} if cost.macs else {}


TOOL_RULES = {"thop": _thop, "fvcore": _fvcore, "torchinfo": _torchinfo, "ptflops": _ptflops,
              "FLOPs (2 x MACs)": _flops}
