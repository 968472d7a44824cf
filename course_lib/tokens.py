"""Layers on token sequences: shapes ``(tokens, features)`` per sample (notebooks 08 and 10).

The same bookkeeping as for a CNN: each layer knows its output shape and its cost.
Conventions (COURSE.md): MACs are the multiply-accumulates of matrix products, here the
linear projections AND attention's two products ``Q K^T`` (scores) and ``softmax(.) V``
(values); the softmax, LayerNorm and the position adds get their own ``op_counts`` columns.

- ``PatchTokens()``: a ``(C, H, W)`` map -> ``(H*W, C)`` tokens (ViT after its patch conv).
- ``ClassToken()``: prepends one learned token: ``(T, F) -> (T+1, F)``, F parameters.
- ``PositionEmbedding()``: adds a learned ``(T, F)`` table: T*F parameters, T*F adds.
- ``Embedding(num_embeddings, embedding_dim)``: ``(T,)`` token ids -> ``(T, d)``, a lookup (0 MACs).
- ``LayerNorm()``: normalizes each token's features: 2F parameters, 5 ops per element.
- ``MultiheadAttention(num_heads)``: self-attention; ``transformer_encoder_layer`` builds a whole block.
- ``SelectToken(index=0)``: keeps one token: ``(T, F) -> (F,)`` (ViT's class token into the head).
"""
from __future__ import annotations

from dataclasses import dataclass

from ._checks import check_int, check_number
from .blocks import Block
from .layers import (GELU, Dropout, Layer, LayerCost, Linear, ReLU, Residual, _check_bool, _check_name,
                     _numel)

__all__ = ["PatchTokens", "ClassToken", "PositionEmbedding", "Embedding", "LayerNorm", "MultiheadAttention",
           "SelectToken", "transformer_encoder_layer", "decoder_network"]


def _needs_tokens(layer, in_shape, where):
    if len(in_shape) != 2:
        raise ValueError(
            f"layer {where} ({type(layer).__name__}) needs a (tokens, features) sequence as input, "
            f"but the previous layer gives {in_shape}"
        )


@dataclass(frozen=True)
class PatchTokens(Layer):
    """``(C, H, W) -> (H*W, C)``: each pixel of a patch-embedding conv becomes a token (ViT). Moves no data in the model."""
    name: str | None = None
    prefix = "tokens"

    def __post_init__(self):
        _check_name(self.name)

    def cost(self, in_shape, where):
        if len(in_shape) != 3:
            raise ValueError(f"layer {where} (PatchTokens) needs a (C, H, W) feature map, but the previous layer "
                             f"gives {in_shape}")
        c, h, w = in_shape
        return LayerCost(out_shape=(h * w, c))


@dataclass(frozen=True)
class ClassToken(Layer):
    """Prepend one learned token (ViT's ``class_token``): ``(T, F) -> (T+1, F)``, F parameters."""
    name: str | None = None
    prefix = "cls"

    def __post_init__(self):
        _check_name(self.name)

    def cost(self, in_shape, where):
        _needs_tokens(self, in_shape, where)
        tokens, features = in_shape
        return LayerCost(out_shape=(tokens + 1, features), params=features)


@dataclass(frozen=True)
class PositionEmbedding(Layer):
    """Add a learned table of one vector per position: ``num_positions x F`` parameters (default:
    the number of tokens), one add per element (``position_adds``)."""
    num_positions: int | None = None
    name: str | None = None
    prefix = "pos"

    def __post_init__(self):
        if self.num_positions is not None:
            check_int("num_positions", self.num_positions, 1)
        _check_name(self.name)

    def cost(self, in_shape, where):
        _needs_tokens(self, in_shape, where)
        tokens, features = in_shape
        positions = tokens if self.num_positions is None else self.num_positions
        if tokens > positions:
            raise ValueError(f"layer {where} (PositionEmbedding): {tokens} tokens but only {positions} positions")
        return LayerCost(out_shape=in_shape, params=positions * features, position_adds=tokens * features)


@dataclass(frozen=True)
class Embedding(Layer):
    """A lookup table (``torch.nn.Embedding``): ``(T,)`` token ids -> ``(T, embedding_dim)``.

    ``num_embeddings x embedding_dim`` parameters; a lookup reads rows and does no arithmetic.
    """
    num_embeddings: int
    embedding_dim: int
    name: str | None = None
    prefix = "embed"

    def __post_init__(self):
        check_int("num_embeddings", self.num_embeddings, 1)
        check_int("embedding_dim", self.embedding_dim, 1)
        _check_name(self.name)

    def cost(self, in_shape, where):
        if len(in_shape) != 1:
            raise ValueError(f"layer {where} (Embedding) needs a (tokens,) sequence of ids, but the previous layer "
                             f"gives {in_shape}")
        return LayerCost(out_shape=(in_shape[0], self.embedding_dim),
                         params=self.num_embeddings * self.embedding_dim)


@dataclass(frozen=True)
class LayerNorm(Layer):
    """Normalize each token's features (``torch.nn.LayerNorm(features)``): 2F parameters (scale, shift).

    ``layernorm_ops``: 5 per element (mean, subtract, variance, normalize, scale and shift),
    as fvcore counts a LayerNorm with its affine (fvcore/nn/jit_handles.py, ``norm_flop_counter``).
    """
    bias: bool = True
    name: str | None = None
    prefix = "ln"

    def __post_init__(self):
        _check_bool("bias", self.bias)
        _check_name(self.name)

    def cost(self, in_shape, where):
        if len(in_shape) not in (1, 2):
            raise ValueError(f"layer {where} (LayerNorm) needs a (tokens, features) or (N,) input, but the previous "
                             f"layer gives {in_shape}")
        features = in_shape[-1]
        return LayerCost(out_shape=in_shape, params=features * (2 if self.bias else 1),
                         layernorm_ops=5 * _numel(in_shape))


@dataclass(frozen=True)
class MultiheadAttention(Layer):
    """Self-attention over a ``(T, E)`` sequence (``torch.nn.MultiheadAttention(E, num_heads)``).

    params = 4E^2 + 4E (Q, K, V and output projections with biases);
    MACs = 4*T*E^2 (the projections) + 2*T^2*E (``Q K^T``: T x T scores of E/h per head, for h
    heads, and the same for ``softmax(.) V``); ``softmax_ops`` = h*T^2 scores; ``bias_adds`` = 4*T*E.
    Taught in notebook 08 (per token) and 10 (a whole ViT).
    """
    num_heads: int
    bias: bool = True
    name: str | None = None
    prefix = "attn"

    def __post_init__(self):
        check_int("num_heads", self.num_heads, 1)
        _check_bool("bias", self.bias)
        _check_name(self.name)

    def cost(self, in_shape, where):
        _needs_tokens(self, in_shape, where)
        tokens, embed = in_shape
        if embed % self.num_heads:
            raise ValueError(f"layer {where} (MultiheadAttention): num_heads={self.num_heads} must divide the "
                             f"{embed} features")
        return LayerCost(
            out_shape=in_shape,
            params=4 * embed * embed + (4 * embed if self.bias else 0),
            macs=4 * tokens * embed * embed + 2 * tokens * tokens * embed,
            bias_adds=4 * tokens * embed if self.bias else 0,
            softmax_ops=self.num_heads * tokens * tokens,
        )


@dataclass(frozen=True)
class SelectToken(Layer):
    """Keep token ``index`` of a ``(T, F)`` sequence: ``(F,)`` (ViT sends its class token to the head)."""
    index: int = 0
    name: str | None = None
    prefix = "select"

    def __post_init__(self):
        check_int("index", self.index, 0)
        _check_name(self.name)

    def cost(self, in_shape, where):
        _needs_tokens(self, in_shape, where)
        if self.index >= in_shape[0]:
            raise ValueError(f"layer {where} (SelectToken): index={self.index} but only {in_shape[0]} tokens")
        return LayerCost(out_shape=(in_shape[1],))


def transformer_encoder_layer(d_model: int, num_heads: int, dim_feedforward: int, *, activation: str = "gelu",
                              norm_first: bool = True, name: str | None = None) -> Block:
    """One transformer encoder block as a ``Block`` of course layers.

    ``norm_first=True`` (ViT, GPT-2): ``x + attention(ln_1(x))``, then ``x + mlp(ln_2(x))``;
    ``False`` (``torch.nn.TransformerEncoderLayer``'s default): ``ln_1(x + attention(x))`` ...
    The MLP is Linear(dim_feedforward), the activation, Linear(d_model); dropouts cost nothing.
    """
    d_model = check_int("d_model", d_model, 1)
    num_heads = check_int("num_heads", num_heads, 1)
    dim_feedforward = check_int("dim_feedforward", dim_feedforward, 1)
    if activation not in ("gelu", "relu"):
        raise ValueError(f"activation must be one of 'gelu', 'relu'; got {activation!r}")
    _check_bool("norm_first", norm_first)
    act = GELU(name="mlp.act") if activation == "gelu" else ReLU(name="mlp.act")
    mlp = (Linear(dim_feedforward, name="mlp.fc1"), act, Dropout(name="mlp.drop1"), Linear(d_model, name="mlp.fc2"),
           Dropout(name="mlp.drop2"))
    attention = (MultiheadAttention(num_heads, name="self_attention"), Dropout(name="dropout"))
    if norm_first:
        layers = (Residual((LayerNorm(name="ln_1"), *attention), name="attention"),
                  Residual((LayerNorm(name="ln_2"), *mlp), name="mlp"))
    else:
        layers = (Residual(attention, name="attention"), LayerNorm(name="ln_1"),
                  Residual(mlp, name="mlp"), LayerNorm(name="ln_2"))
    return Block(layers, name=name)


def decoder_network(config, tokens: int):
    """The decoder of notebook 08's ``TransformerConfig`` as a ``Network`` on ``tokens`` token ids.

    Token embedding, learned positions, ``n_layers`` pre-norm blocks (GELU MLP), a final
    LayerNorm and the output head. Its parameters equal ``transformer_param_count(config)``
    and its MACs equal ``tokens x transformer_macs(config, context=tokens)`` (every token
    attending to all ``tokens`` keys), except that a tied head (GPT-2) is counted again here:
    a ``Network`` has no shared weights, so it holds ``vocab x d_model`` more parameters.
    Only the configurations the course's layers can express: GELU MLP, LayerNorm, learned
    positions, multi-head attention (``n_kv_heads == n_heads``), biases everywhere.
    """
    from .analysis import Network
    from .transformer import get_transformer

    c = get_transformer(config)
    tokens = check_int("tokens", tokens, 1, c.max_context)
    if (c.mlp, c.norm, c.position, c.n_kv_heads, c.bias) != ("gelu", "layernorm", "learned", c.n_heads, True):
        raise ValueError(f"{c.name}: decoder_network builds GELU / LayerNorm / learned-position / multi-head "
                         "decoders with biases (GPT-2's design) only")
    layers = [Embedding(c.vocab_size, c.d_model, name="wte"), PositionEmbedding(c.max_context, name="wpe")]
    layers += [transformer_encoder_layer(c.d_model, c.n_heads, c.d_ff, name=f"h.{i}") for i in range(c.n_layers)]
    layers += [LayerNorm(name="ln_f"), Linear(c.vocab_size, bias=False, name="lm_head")]
    return Network(c.name, (tokens,), tuple(layers))
