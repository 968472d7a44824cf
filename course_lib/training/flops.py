"""Training FLOPs: the backward pass counted (~3 x forward) and the 6ND rule for transformers (notebook 09, sections 1-2).

A weighted layer's forward pass does one multiply-accumulate per (weight, input, output)
triple. Backpropagation does two per triple: one for the gradient with respect to the
input (``dx += w * dy``, passed to the layer below) and one for the gradient with respect
to the weight (``dw += x * dy``). So training costs ~3 x the forward pass (the first
weighted layer needs no input gradient: a little less).

Transformers: 2 FLOPs per parameter per token forward, 4 backward: training a model of N
parameters on D tokens costs ~6ND FLOPs (Kaplan et al. 2020, "Scaling Laws for Neural
Language Models", section 2.1: C ~ 6NBS for batch B and S steps). It leaves out attention
(``12 x layers x attention width x context`` FLOPs per token, Chowdhery et al. 2022, PaLM,
appendix B), and it overcounts the parameters that only a lookup uses (a learned position
table, an untied input token table): they do no MACs.
"""
from __future__ import annotations

import pandas as pd

from .._checks import check_int
from ..analysis import Network, analyze
from ..transformer import get_transformer, transformer_param_count, transformer_params
from ._base import _network, _positive

__all__ = ["TRAINING_FACTOR", "linear_backward_macs", "training_macs", "training_flops_per_example",
           "transformer_training_flops", "transformer_training_flops_for", "lookup_only_params"]

# forward (1) + gradient wrt inputs (1) + gradient wrt weights (1), in forward passes
TRAINING_FACTOR = 3

def linear_backward_macs(in_features: int, out_features: int, batch_size: int = 1) -> dict:
    """MACs of a Linear layer's forward and backward pass on a batch, as named parts.

    forward ``Y = X W^T``: (B x in) . (in x out) = ``B x in x out``;
    gradient wrt input ``dX = dY W``: (B x out) . (out x in) = ``B x out x in``;
    gradient wrt weight ``dW = dY^T X``: (out x B) . (B x in) = ``out x B x in``.
    Bias gradients (a sum over the batch) are additions, not MACs. Notebook 09.
    """
    n_in = check_int("in_features", in_features, 1)
    n_out = check_int("out_features", out_features, 1)
    batch = check_int("batch_size", batch_size, 1)
    parts = {"forward": batch * n_in * n_out, "grad_input": batch * n_out * n_in, "grad_weight": n_out * batch * n_in}
    parts["backward"] = parts["grad_input"] + parts["grad_weight"]
    return parts


def training_macs(network: Network, batch_size: int = 1) -> pd.DataFrame:
    """Per layer: forward MACs, and the backward pass's ``grad_input`` and ``grad_weight`` MACs (notebook 09).

    Every conv and Linear MAC ``y += w * x`` has two backward MACs: ``dx += w * dy`` and
    ``dw += x * dy``. The first layer with weights needs no ``grad_input`` (nothing below
    it learns); pooling and activations are counted as 0 MACs, as in notebook 03.
    """
    batch = check_int("batch_size", batch_size, 1)
    table = analyze(_network(network))[["name", "kind", "params", "macs"]].copy()
    table["forward"] = table["macs"] * batch
    weighted = table["params"] > 0
    table["grad_weight"] = table["forward"].where(weighted, 0)
    first = weighted.idxmax() if weighted.any() else None
    table["grad_input"] = table["forward"]
    if first is not None:
        table.loc[first, "grad_input"] = 0
    table["backward"] = table["grad_input"] + table["grad_weight"]
    table = table.drop(columns="macs")
    table.attrs.update(network=network.name, batch_size=batch)
    return table


def training_flops_per_example(network: Network) -> dict:
    """Training FLOPs for one example: the 3 x forward rule and the exact count of ``training_macs``.

    Returns ``forward_flops`` (2 x forward MACs), ``rule_flops`` (3 x that),
    ``counted_flops`` (2 x (forward + grad_input + grad_weight) MACs) and their ratio.
    """
    table = training_macs(network)
    forward = 2 * int(table["forward"].sum())
    counted = forward + 2 * int(table["backward"].sum())
    return {"forward_flops": forward, "rule_flops": TRAINING_FACTOR * forward, "counted_flops": counted,
            "counted_over_forward": counted / forward if forward else float("nan")}


def transformer_training_flops(params: float, tokens: float, n_layers: int = 0, attention_width: int = 0,
                               context: int = 0) -> float:
    """``6 N D`` (Kaplan et al. 2020), plus attention if its shape is given: ``12 x layers x width x context x D``.

    N parameters, D training tokens. Attention (scores q.k and the weighted sum of values, each
    ``width x context`` MACs per layer per token, forward; x 3 for training; x 2 FLOPs per MAC)
    is the term 6ND leaves out; PaLM (Chowdhery et al. 2022, appendix B) counts it this way,
    with every token attending to the full ``context`` (no causal saving). Notebook 09.
    """
    n = _positive("params", params)
    d = _positive("tokens", tokens)
    layers = check_int("n_layers", n_layers, 0)
    width = check_int("attention_width", attention_width, 0)
    ctx = check_int("context", context, 0)
    return 6 * n * d + 12 * layers * width * ctx * d


def transformer_training_flops_for(config, tokens: float, context: int | None = None,
                                   attention: bool = False) -> float:
    """``transformer_training_flops`` for a transformer config: N = its parameter count (embeddings included).

    ``attention=True`` adds the attention term at ``context`` (default: the model's max_context).
    """
    c = get_transformer(config)
    params = transformer_param_count(c)
    if not attention:
        return transformer_training_flops(params, tokens)
    ctx = c.max_context if context is None else check_int("context", context, 1)
    return transformer_training_flops(params, tokens, c.n_layers, c.n_heads * c.head_dim, ctx)




def lookup_only_params(config) -> int:
    """Parameters that only a lookup uses, so that 6N overcounts them: they do no MACs (notebook 09, section 2).

    A learned position table (``max_context x d_model``) is only looked up. The token table is
    looked up at the input too, but a tied one is also the output projection, ``d_model x
    vocab`` MACs per token: only an untied input table (Llama 2's) is lookup-only.
    """
    c = get_transformer(config)
    parts = transformer_params(c)["params"]
    return int(parts["embedding/position"] + (0 if c.tied_embeddings else parts["embedding/token"]))
