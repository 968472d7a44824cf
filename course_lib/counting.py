"""Counting parameters and operations, and why counting tools disagree (notebooks 02 and 03).

The closed forms of a layer's cost, as plain functions of plain numbers:

- conv params ``K*K*(C_in/groups)*C_out + C_out``, conv MACs ``H_out*W_out*C_out*(C_in/groups)*K*K``;
- FC params ``in*out + out``, FC MACs ``in*out``; FLOPs = 2 x MACs (a multiply and an add).

Each counting tool's total is a weighted sum of ``op_counts`` columns (``TOOL_CONVENTIONS``):
AlexNet (2012, 227 input) is 724,406,816 for thop and fvcore, 725,066,088 for torchinfo and
727,423,208 for ptflops (what ptflops 0.7.5 prints without the paper's two LRN layers; with them it
counts their tensor ops too). fvcore's and ptflops' "flops" are MACs (fvcore issue #69, ptflops #40).

Weight sharing: a conv reuses its kernels at every position (sharing across space), an RNN
reuses its matrices at every time step (sharing across time); the helpers below count what
the same layer would need without sharing.
"""
from __future__ import annotations

from fractions import Fraction
import math

import pandas as pd

from ._checks import check_choice, check_int, check_number
from .analysis import Network, layer_costs
from .tool_rules import TOOL_RULES

__all__ = ["conv_params", "conv_macs", "linear_params", "linear_macs", "flops_from_macs",
           "TOOL_CONVENTIONS", "tool_parts", "tool_total", "tool_totals", "layer_counts",
           "fc_equivalent_params", "rnn_params", "unrolled_rnn_params"]


def conv_params(in_channels: int, out_channels: int, kernel_size: int, groups: int = 1, bias: bool = True) -> int:
    """Trainable elements of a square-kernel conv: ``K*K*(C_in/groups)*C_out + C_out`` (notebook 02).

    AlexNet conv1: 11*11*3*96 + 96 = 34,944; conv2 with groups=2: 5*5*48*256 + 256 = 307,456.
    """
    in_channels, out_channels, kernel_size, groups = _conv_args(in_channels, out_channels, kernel_size, groups)
    if not isinstance(bias, bool):
        raise TypeError(f"bias must be True or False, got {bias!r}")
    return kernel_size * kernel_size * (in_channels // groups) * out_channels + (out_channels if bias else 0)


def conv_macs(out_height: int, out_width: int, in_channels: int, out_channels: int, kernel_size: int,
              groups: int = 1) -> int:
    """Multiply-accumulates of a square-kernel conv: ``H_out*W_out*C_out*(C_in/groups)*K*K`` (notebook 03).

    AlexNet conv1: 55*55*96*3*11*11 = 105,415,200 MACs.
    """
    out_height = check_int("out_height", out_height, 1)
    out_width = check_int("out_width", out_width, 1)
    in_channels, out_channels, kernel_size, groups = _conv_args(in_channels, out_channels, kernel_size, groups)
    return out_height * out_width * out_channels * (in_channels // groups) * kernel_size * kernel_size


def _conv_args(in_channels, out_channels, kernel_size, groups):
    in_channels = check_int("in_channels", in_channels, 1)
    out_channels = check_int("out_channels", out_channels, 1)
    kernel_size = check_int("kernel_size", kernel_size, 1)
    groups = check_int("groups", groups, 1)
    if in_channels % groups or out_channels % groups:
        raise ValueError(f"groups={groups} must divide in_channels={in_channels} and out_channels={out_channels}")
    return in_channels, out_channels, kernel_size, groups


def linear_params(in_features: int, out_features: int, bias: bool = True) -> int:
    """Trainable elements of a fully connected layer: ``in*out + out`` (notebook 02)."""
    in_features = check_int("in_features", in_features, 1)
    out_features = check_int("out_features", out_features, 1)
    if not isinstance(bias, bool):
        raise TypeError(f"bias must be True or False, got {bias!r}")
    return in_features * out_features + (out_features if bias else 0)


def linear_macs(in_features: int, out_features: int) -> int:
    """Multiply-accumulates of a fully connected layer: ``in*out`` (AlexNet FC1: 9216*4096 = 37,748,736)."""
    return check_int("in_features", in_features, 1) * check_int("out_features", out_features, 1)


def flops_from_macs(macs):
    """FLOPs = 2 x MACs: each multiply-accumulate is one multiply and one add (notebook 03)."""
    value = check_number("macs", macs, 0)
    return 2 * int(macs) if value == int(value) else 2 * value


# What each tool adds up on a plain chain of conv, linear, ReLU and pooling layers (AlexNet), as
# weights on op_counts columns; "calls it" is the tool's own word. thop: profile() returns MACs of
# conv/linear (its README: "MACs"); fvcore: FlopCountAnalysis counts one "flop" per fused
# multiply-add (fvcore issue #69); torchinfo: "Mult-Adds", with one add per output for the bias;
# ptflops: get_model_complexity_info "MACs" plus bias, ReLU and pooling elements, the last two
# counted twice in its total (ptflops issue #40). Other layers (BatchNorm, adaptive pooling, ReLU6,
# attention, LRN ...) follow each tool's own rules: course_lib.tool_rules.TOOL_RULES.
TOOL_CONVENTIONS = {
    "thop": {"columns": {"macs": 1}, "calls_it": "MACs"},
    "fvcore": {"columns": {"macs": 1}, "calls_it": "flops (really MACs)"},
    "torchinfo": {"columns": {"macs": 1, "bias_adds": 1}, "calls_it": "Mult-Adds"},
    "ptflops": {"columns": {"macs": 1, "bias_adds": 1, "activation_ops": 2, "pool_inputs": 2},
                "calls_it": "MACs (or 'GFLOPs')"},
    "FLOPs (2 x MACs)": {"columns": {"macs": 2}, "calls_it": "FLOPs"},
}


def _rule(tool: str):
    if not isinstance(tool, str):
        raise TypeError(f"tool must be a string, got {tool!r}")
    return TOOL_RULES[check_choice("tool", tool, tuple(TOOL_CONVENTIONS))]


def _whole(value):
    """thop sums floats (adaptive pooling windows): its total is what Python's int() of that sum gives."""
    return int(value) if isinstance(value, Fraction) else value


def _layer_parts(network: Network, tool: str, batch_size: int):
    rule = _rule(tool)
    batch_size = check_int("batch_size", batch_size, 1)
    return [(name, kind, {part: count * batch_size for part, count in rule(kind, in_shape, cost).items()})
            for name, kind, _, in_shape, cost in layer_costs(network)]


def tool_parts(network: Network, tool: str, batch_size: int = 1) -> dict:
    """What ``tool`` prints for ``network``, as named parts (``"2 x activation_ops"`` ...) and their ``"total"``.

    The parts follow the tool's own per-layer rules (``course_lib.tool_rules``), checked against
    the real tools' printed totals for every zoo model.
    """
    parts = {}
    for _, _, counts in _layer_parts(network, tool, batch_size):
        for part, count in counts.items():
            parts[part] = parts.get(part, 0) + count
    parts = {part: _whole(count) for part, count in parts.items()}
    parts["total"] = _whole(sum(parts.values()))
    return parts


def tool_total(network: Network, tool: str, batch_size: int = 1) -> int:
    """What ``tool`` reports for ``network`` (``TOOL_CONVENTIONS`` names the tools)."""
    return tool_parts(network, tool, batch_size)["total"]


def tool_totals(network: Network, batch_size: int = 1) -> pd.DataFrame:
    """One row per tool: what it adds up for this network, what it calls the result, and its total."""
    rows = []
    for tool, spec in TOOL_CONVENTIONS.items():
        parts = tool_parts(network, tool, batch_size)
        formula = " + ".join(part for part in parts if part != "total")
        rows.append({"tool": tool, "adds up": formula, "calls it": spec["calls_it"], "total": parts["total"]})
    return pd.DataFrame(rows)


def layer_counts(network: Network, tool: str = "thop", batch_size: int = 1) -> pd.DataFrame:
    """Per layer: ``name``, ``kind``, ``count`` (what ``tool`` counts for it) and ``share`` of the total.

    Layers that count 0 under the convention are dropped (what a per-layer bar chart shows).
    """
    rows = [(name, kind, _whole(sum(counts.values())))
            for name, kind, counts in _layer_parts(network, tool, batch_size)]
    table = pd.DataFrame(rows, columns=["name", "kind", "count"])
    table = table[table["count"] > 0].reset_index(drop=True)
    table["count"] = table["count"].astype("int64")
    table["share"] = table["count"] / table["count"].sum()
    table.attrs.update(network=network.name, tool=tool, batch_size=batch_size)
    return table


def fc_equivalent_params(in_shape, out_shape, bias: bool = True) -> int:
    """Weights a fully connected layer needs to map ``in_shape`` to ``out_shape`` with no sharing.

    Every output element gets its own weight to every input element: ``prod(in)*prod(out)``
    (+ ``prod(out)`` biases). For AlexNet's conv1 (3x227x227 -> 96x55x55) that is about 44.9
    billion weights, where the conv's shared kernels need 34,944 (notebook 03).
    """
    in_elements = _numel("in_shape", in_shape)
    out_elements = _numel("out_shape", out_shape)
    if not isinstance(bias, bool):
        raise TypeError(f"bias must be True or False, got {bias!r}")
    return in_elements * out_elements + (out_elements if bias else 0)


def _numel(name, shape) -> int:
    if isinstance(shape, int) and not isinstance(shape, bool):
        shape = (shape,)
    if not isinstance(shape, (tuple, list)) or not shape:
        raise TypeError(f"{name} must be a shape such as (C, H, W) or (N,), got {shape!r}")
    return math.prod(check_int(f"{name}[{i}]", v, 1) for i, v in enumerate(shape))


def rnn_params(input_size: int, hidden_size: int, bias: bool = True) -> int:
    """Parameters of a one-layer Elman RNN, ``h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)``.

    ``hidden*(input + hidden) + 2*hidden`` (two bias vectors, as ``torch.nn.RNN``), the same
    at every time step: the RNN shares its weights across time.
    """
    input_size = check_int("input_size", input_size, 1)
    hidden_size = check_int("hidden_size", hidden_size, 1)
    if not isinstance(bias, bool):
        raise TypeError(f"bias must be True or False, got {bias!r}")
    return hidden_size * (input_size + hidden_size) + (2 * hidden_size if bias else 0)


def unrolled_rnn_params(input_size: int, hidden_size: int, steps: int, bias: bool = True) -> int:
    """Parameters of the same RNN unrolled over ``steps`` with its own weights at each step (no sharing)."""
    return check_int("steps", steps, 1) * rnn_params(input_size, hidden_size, bias)
