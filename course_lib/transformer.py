"""Transformer decoder sizing: params, MACs per token, KV cache, prefill vs decode (notebook 08).

The same arithmetic as for a CNN, for a decoder-only transformer (GPT-2, Llama):
collect named parts (``'attention/qkv'``, ``'mlp/up'`` ... as in nanoGPT's
``transformer_sizing.ipynb``), total them, then place a whole inference step on the
roofline of a chip.

The simple model of an inference step, stated wherever it is used:

- a step reads every weight once (whatever the batch and the number of tokens), except
  the embedding lookup tables, of which a lookup reads only a few rows (counted as 0);
- it reads the KV cache of the tokens it attends to (decode) and writes the keys and
  values of the tokens it processes (prefill: the whole prompt; decode: one per sequence);
- activations between layers stay on chip (fused kernels) and count 0 bytes;
- FLOPs = 2 x MACs of the matrix products, plus the attention products
  ``q . k`` (scores) and ``softmax . v`` (values); norms, softmax, activations count 0;
- prefill is causal: prompt token ``t`` attends to ``t`` keys (FlashAttention skips the
  masked half); every token's logits are computed (as a plain forward pass does);
- time = max(FLOPs / peak, bytes / bandwidth), and the larger names the bound; peak and
  bandwidth are datasheet bounds, so the times are lower bounds.

Shapes a config can express: any head_dim (Gemma's 16 heads of 256 on a 3072-wide stream),
grouped-query attention, biases everywhere (GPT-2), nowhere (Llama) or on q, k, v only
(Qwen2), gated (SwiGLU, GeGLU) or plain MLPs, tied or untied heads. Shapes it cannot:
mixture-of-experts MLPs, layers of different widths, sliding-window or latent (MLA)
attention.
"""
from __future__ import annotations

from dataclasses import dataclass
import numbers

import pandas as pd

from ._checks import check_choice, check_int, check_number
from .devices import _compute_device, get_device, ridge_point

__all__ = ["TransformerConfig", "GPT2_SMALL", "LLAMA2_7B", "LLAMA3_8B", "TRANSFORMER_PRESETS", "get_transformer",
           "transformer_params", "transformer_param_count", "transformer_macs", "macs_vs_context",
           "attention_crossover_context", "kv_cache_bytes", "kv_cache_bytes_per_token", "weight_bytes_read",
           "inference_step", "decode_intensity_limit", "decode_batch_for_ridge", "mlp_intermediate_bytes",
           "prefill_vs_decode", "inference_sweep", "inference_memory", "kv_max_batch_size", "TRANSFORMER_DTYPES"]

# Bytes per stored element. fp8 is the H100/H200's 8-bit float (NVIDIA Hopper whitepaper);
# int4 packs two weights per byte.
TRANSFORMER_DTYPES = {"fp32": 4, "bf16": 2, "fp16": 2, "fp8": 1, "int8": 1, "int4": 0.5}
_GATED = ("swiglu", "geglu")   # MLPs with a gate matrix beside up and down


@dataclass(frozen=True)
class TransformerConfig:
    """A decoder-only transformer, in the names of nanoGPT / Hugging Face configs.

    Defaults are GPT-2 small (Radford et al. 2019; Hugging Face ``gpt2`` config.json).
    """
    name: str = "custom"
    n_layers: int = 12             # blocks, each = attention + MLP
    d_model: int = 768             # width of the residual stream (n_embd, hidden_size)
    n_heads: int = 12              # query heads
    n_kv_heads: int | None = None  # key/value heads: None = n_heads (multi-head); fewer = grouped-query attention
    d_ff: int | None = None        # MLP hidden width: None = 4 * d_model (GPT-2)
    vocab_size: int = 50257        # GPT-2's BPE vocabulary
    max_context: int = 1024        # longest sequence the model was trained on, in tokens
    mlp: str = "gelu"              # "gelu": up + down (2 matrices); "swiglu" or "geglu" (Gemma): gate + up + down (3)
    tied_embeddings: bool = True   # the output head reuses the token embedding matrix
    bias: bool = True              # biases in every Linear and in LayerNorm (GPT-2 yes, Llama no)
    norm: str = "layernorm"        # "layernorm" (scale + shift) or "rmsnorm" (scale only)
    position: str = "learned"      # "learned" table of max_context x d_model (GPT-2) or "rope" (no weights)
    head_dim: int | None = None    # width of one head: None = d_model // n_heads; Gemma-7B: 256 x 16 heads = 4096 != 3072
    qkv_bias: bool | None = None   # biases on q, k, v: None = as ``bias``; True with bias=False: Qwen2 (q, k, v only)

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name:
            raise TypeError(f"name must be a non-empty string, got {self.name!r}")
        check_int("n_layers", self.n_layers, 1)
        check_int("d_model", self.d_model, 1)
        check_int("n_heads", self.n_heads, 1)
        if self.head_dim is None:
            if self.d_model % self.n_heads:
                raise ValueError(f"n_heads={self.n_heads} must divide d_model={self.d_model}, or give head_dim "
                                 f"(the width of one head) explicitly")
            object.__setattr__(self, "head_dim", self.d_model // self.n_heads)
        else:
            check_int("head_dim", self.head_dim, 1)
        kv = self.n_heads if self.n_kv_heads is None else check_int("n_kv_heads", self.n_kv_heads, 1, self.n_heads)
        if self.n_heads % kv:
            raise ValueError(f"n_kv_heads={kv} must divide n_heads={self.n_heads} (each KV head serves a group of query heads)")
        object.__setattr__(self, "n_kv_heads", kv)
        d_ff = 4 * self.d_model if self.d_ff is None else check_int("d_ff", self.d_ff, 1)
        object.__setattr__(self, "d_ff", d_ff)
        check_int("vocab_size", self.vocab_size, 1)
        check_int("max_context", self.max_context, 1)
        check_choice("mlp", self.mlp, ("gelu", "swiglu", "geglu"))
        check_choice("norm", self.norm, ("layernorm", "rmsnorm"))
        check_choice("position", self.position, ("learned", "rope"))
        if self.qkv_bias is None:
            object.__setattr__(self, "qkv_bias", self.bias)
        for flag in ("tied_embeddings", "bias", "qkv_bias"):
            if not isinstance(getattr(self, flag), bool):
                raise TypeError(f"{flag} must be True or False, got {getattr(self, flag)!r}")

    @property
    def q_dim(self) -> int:
        """Width of the queries (and of the attention output): n_heads x head_dim, often but not always d_model."""
        return self.n_heads * self.head_dim

    @property
    def kv_dim(self) -> int:
        """Width of the keys (and of the values) of one layer: n_kv_heads x head_dim."""
        return self.n_kv_heads * self.head_dim


# GPT-2 small: Hugging Face "gpt2" config.json; 124,439,808 parameters as HF counts them (tied head).
GPT2_SMALL = TransformerConfig("GPT-2 small")
# Llama 2 7B: Touvron et al. 2023 and HF "meta-llama/Llama-2-7b-hf" config.json: 6,738,415,616 parameters.
LLAMA2_7B = TransformerConfig("Llama-2-7B", n_layers=32, d_model=4096, n_heads=32, n_kv_heads=32, d_ff=11008,
                              vocab_size=32000, max_context=4096, mlp="swiglu", tied_embeddings=False, bias=False,
                              norm="rmsnorm", position="rope")
# Llama 3 8B: HF "meta-llama/Meta-Llama-3-8B" config.json (8 KV heads: grouped-query attention): 8,030,261,248.
LLAMA3_8B = TransformerConfig("Llama-3-8B", n_layers=32, d_model=4096, n_heads=32, n_kv_heads=8, d_ff=14336,
                              vocab_size=128256, max_context=8192, mlp="swiglu", tied_embeddings=False, bias=False,
                              norm="rmsnorm", position="rope")
TRANSFORMER_PRESETS = {c.name: c for c in (GPT2_SMALL, LLAMA2_7B, LLAMA3_8B)}


def get_transformer(name) -> TransformerConfig:
    """A preset by name ("GPT-2 small", "Llama-2-7B", "Llama-3-8B"), or a config passed through."""
    if isinstance(name, TransformerConfig):
        return name
    for key, config in TRANSFORMER_PRESETS.items():
        if isinstance(name, str) and key.lower() == name.strip().lower():
            return config
    raise ValueError(f"unknown transformer {name!r}; the presets are: {', '.join(TRANSFORMER_PRESETS)}")


def _bytes(dtype) -> float:
    """Bytes per element from a dtype name ('bf16') or a number of bytes (2)."""
    if isinstance(dtype, numbers.Real) and not isinstance(dtype, bool):
        return check_number("dtype", dtype, 0, exclusive_minimum=True)
    check_choice("dtype", dtype, tuple(TRANSFORMER_DTYPES))
    return TRANSFORMER_DTYPES[dtype]


def _table(rows, value: str) -> pd.DataFrame:
    table = pd.DataFrame(rows, columns=["part", "each", "copies"]).set_index("part")
    table[value] = table["each"] * table["copies"]
    return table


def transformer_params(config) -> pd.DataFrame:
    """Parameters by named part: ``each`` (one copy), ``copies`` (n_layers for a block's parts), ``params``.

    Per block: ``attention/qkv`` = d x (q_dim + 2 kv_dim) (+ biases when ``qkv_bias``),
    ``attention/proj`` = q_dim x d (+ a bias when ``bias``), where q_dim = n_heads x head_dim
    (d itself unless ``head_dim`` says otherwise),
    ``mlp/up`` and ``mlp/down`` = d x d_ff each, ``mlp/gate`` another d x d_ff for SwiGLU,
    two norms of d (LayerNorm: 2d with its shift). Outside the blocks: the token table
    vocab x d, the learned position table max_context x d, a final norm, and the output
    head vocab x d (0 when tied to the token table). Total = ``table["params"].sum()``.
    Taught in notebook 08.
    """
    c = get_transformer(config)
    d, b, qb, q = c.d_model, int(c.bias), int(c.qkv_bias), c.q_dim
    norm = d * (2 if c.norm == "layernorm" and c.bias else 1)
    gated = c.mlp in _GATED
    rows = [
        ("embedding/token", c.vocab_size * d, 1),
        ("embedding/position", c.max_context * d if c.position == "learned" else 0, 1),
        ("attention/norm", norm, c.n_layers),
        ("attention/qkv", d * (q + 2 * c.kv_dim) + qb * (q + 2 * c.kv_dim), c.n_layers),
        ("attention/proj", q * d + b * d, c.n_layers),
        ("mlp/norm", norm, c.n_layers),
        ("mlp/gate", (d * c.d_ff + b * c.d_ff) if gated else 0, c.n_layers),
        ("mlp/up", d * c.d_ff + b * c.d_ff, c.n_layers),
        ("mlp/down", c.d_ff * d + b * d, c.n_layers),
        ("final_norm", norm, 1),
        ("lm_head", 0 if c.tied_embeddings else c.vocab_size * d, 1),
    ]
    table = _table(rows, "params")
    table.attrs.update(model=c.name)
    return table


def transformer_param_count(config) -> int:
    """Total parameters (the sum of ``transformer_params``' parts)."""
    return int(transformer_params(config)["params"].sum())


def transformer_macs(config, context: int) -> pd.DataFrame:
    """Forward-pass MACs for ONE token that attends to ``context`` keys, by named part (notebook 08).

    Matrix parts (one MAC per weight, whatever the context): ``attention/qkv``,
    ``attention/proj``, ``mlp/gate``, ``mlp/up``, ``mlp/down``, ``lm_head`` (d x vocab,
    tied or not). Attention parts grow with the context: ``attention/scores`` (q . k for
    each of n_heads x context keys: n_heads x head_dim x context) and
    ``attention/values`` (the same count for the weighted sum of values). Grouped-query
    attention shrinks the cache, not these products. FLOPs = 2 x MACs.
    """
    c = get_transformer(config)
    context = check_int("context", context, 1)
    d = c.d_model
    rows = [
        ("attention/qkv", d * (c.q_dim + 2 * c.kv_dim), c.n_layers),
        ("attention/scores", c.q_dim * context, c.n_layers),
        ("attention/values", c.q_dim * context, c.n_layers),
        ("attention/proj", c.q_dim * d, c.n_layers),
        ("mlp/gate", d * c.d_ff if c.mlp in _GATED else 0, c.n_layers),
        ("mlp/up", d * c.d_ff, c.n_layers),
        ("mlp/down", c.d_ff * d, c.n_layers),
        ("lm_head", d * c.vocab_size, 1),
    ]
    table = _table(rows, "macs")
    table.attrs.update(model=c.name, context=context)
    return table


_ATTENTION = ["attention/scores", "attention/values"]


def _matrix_macs(c) -> int:
    table = transformer_macs(c, 1)
    return int(table["macs"].drop(_ATTENTION).sum())


def _attention_macs_per_key(c) -> int:
    """Attention MACs of one token per key it attends to (scores + values, all layers)."""
    return 2 * c.n_layers * c.q_dim


def macs_vs_context(config, contexts) -> pd.DataFrame:
    """Per-token forward MACs split into ``matrix_macs`` (constant) and ``attention_macs`` (grows with context)."""
    c = get_transformer(config)
    rows = []
    for context in contexts:
        context = check_int("context", context, 1)
        rows.append((context, _matrix_macs(c), _attention_macs_per_key(c) * context))
    table = pd.DataFrame(rows, columns=["context", "matrix_macs", "attention_macs"])
    table["macs"] = table["matrix_macs"] + table["attention_macs"]
    table["attention_share"] = table["attention_macs"] / table["macs"]
    table.attrs.update(model=c.name, params=transformer_param_count(c),
                       crossover=attention_crossover_context(c))
    return table


def attention_crossover_context(config) -> float:
    """The context (tokens) at which attention's MACs per token equal the matrices' MACs.

    Below it the "2N FLOPs per token" rule holds (N ~ the weights); above it attention dominates.
    """
    c = get_transformer(config)
    return _matrix_macs(c) / _attention_macs_per_key(c)


def kv_cache_bytes_per_token(config, dtype="bf16") -> float:
    """``2 x n_layers x n_kv_heads x head_dim x bytes``: the keys and values one token leaves in the cache."""
    c = get_transformer(config)
    return 2 * c.n_layers * c.n_kv_heads * c.head_dim * _bytes(dtype)


def kv_cache_bytes(config, context: int, batch_size: int = 1, dtype="bf16") -> float:
    """KV-cache bytes of ``batch_size`` sequences of ``context`` tokens (notebook 08).

    ``2 x n_layers x n_kv_heads x head_dim x bytes_per_element x context x batch_size``.
    ``dtype`` is a name ('bf16', 'fp8' ...) or a number of bytes per element.
    """
    context = check_int("context", context, 1)
    batch_size = check_int("batch_size", batch_size, 1)
    return kv_cache_bytes_per_token(config, dtype) * context * batch_size


def weight_bytes_read(config, dtype="bf16") -> float:
    """Bytes of weights one step reads: every parameter but the lookup-only embedding tables.

    A lookup reads a few rows (counted 0); a tied token table is read whole by the output head.
    So this is less than the weights *stored* (``inference_memory``, ``transformer_param_count``)
    by the untied token table and the learned position table: for Llama-2-7B, 32,000 x 4,096
    weights. Notebook 08 states this definition where it first uses it.
    """
    c = get_transformer(config)
    params = transformer_params(c)["params"]
    lookup = params["embedding/position"] + (0 if c.tied_embeddings else params["embedding/token"])
    return float(params.sum() - lookup) * _bytes(dtype)


_PHASES = ("prefill", "decode")


def inference_step(config, device, phase: str, context: int, batch_size: int = 1, dtype="bf16") -> dict:
    """One inference step of ``batch_size`` sequences on ``device``, under the module's simple model.

    - ``prefill``: the whole prompt of ``context`` tokens in one step (causal attention);
      bytes = weights + the prompt's keys and values written to the cache.
    - ``decode``: one new token per sequence, attending to a cache of ``context`` tokens;
      bytes = weights + that cache read + one token's keys and values written.

    Returns flops, bytes (by part), intensity (FLOP/byte), the device's ridge, the bound,
    the time of the step and the time per generated/processed token (step time / tokens),
    and whether the step fits in the device's memory: ``stored_bytes`` = every weight stored
    + the KV cache of the batch after the step; ``fits`` is True/False, or None when the
    catalog gives the device no memory capacity. Peak and bandwidth are the datasheet's
    bounds, so the times are lower bounds: real kernels reach less.
    """
    c = get_transformer(config)
    dev = _compute_device(device)
    check_choice("phase", phase, _PHASES)
    context = check_int("context", context, 1)
    batch_size = check_int("batch_size", batch_size, 1)
    per_key = _attention_macs_per_key(c)
    kv_token = kv_cache_bytes_per_token(c, dtype)
    if phase == "prefill":
        tokens = context * batch_size
        macs = batch_size * (context * _matrix_macs(c) + per_key * context * (context + 1) // 2)
        kv_read, kv_written = 0.0, kv_token * tokens
    else:
        tokens = batch_size
        macs = batch_size * (_matrix_macs(c) + per_key * context)
        kv_read, kv_written = kv_token * context * batch_size, kv_token * batch_size
    weights = weight_bytes_read(c, dtype)
    flops = 2 * macs
    moved = weights + kv_read + kv_written
    cached_tokens = context if phase == "prefill" else context + 1
    stored = transformer_param_count(c) * _bytes(dtype) + kv_token * cached_tokens * batch_size
    fits = None if dev.memory_bytes is None else bool(stored <= dev.memory_bytes)
    time_compute, time_memory = flops / dev.peak_flops, moved / dev.mem_bandwidth
    label = f"{phase} T={context} b={batch_size}"   # T: context tokens, b: sequences in the batch
    return {"model": c.name, "device": dev.name, "phase": phase, "context": context, "batch_size": batch_size,
            "tokens": tokens, "flops": flops, "weight_bytes": weights, "kv_read_bytes": kv_read,
            "kv_write_bytes": kv_written, "bytes": moved, "intensity": flops / moved,
            "ridge": ridge_point(dev),
            "bound": "compute" if time_compute >= time_memory else "memory",
            "time_compute_s": time_compute, "time_memory_s": time_memory, "time_s": max(time_compute, time_memory),
            "time_per_token_s": max(time_compute, time_memory) / tokens,
            "stored_bytes": stored, "memory_bytes": dev.memory_bytes, "fits": fits, "label": label}


def decode_intensity_limit(config, context: int, dtype="bf16") -> float:
    """The intensity decode tends to as the batch grows: the weights' bytes vanish per sequence, the cache's do not.

    ``2 x MACs per token / KV bytes per sequence`` (cache of ``context`` tokens read, one written).
    When it is below a chip's ridge, no batch size makes decode compute bound at that context.
    """
    c = get_transformer(config)
    context = check_int("context", context, 1)
    flops = 2 * (_matrix_macs(c) + _attention_macs_per_key(c) * context)
    return flops / (kv_cache_bytes_per_token(c, dtype) * (context + 1))


def decode_batch_for_ridge(config, device, context: int, dtype="bf16", max_batch: int = 1 << 20):
    """The smallest batch whose decode step at ``context`` tokens reaches the device's ridge (compute bound).

    None when no batch does (``decode_intensity_limit`` is below the ridge) or none up to ``max_batch``.
    Check ``inference_step(...)["fits"]`` too: the batch may need more memory than the chip has.
    """
    c = get_transformer(config)
    context = check_int("context", context, 1)
    max_batch = check_int("max_batch", max_batch, 1)
    if decode_intensity_limit(c, context, dtype) < ridge_point(_compute_device(device)):
        return None
    def compute_bound(b):
        return inference_step(c, device, "decode", context, b, dtype)["bound"] == "compute"
    if not compute_bound(max_batch):
        return None
    lo, hi = 1, max_batch            # intensity grows with the batch: bisect
    while lo < hi:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if compute_bound(mid) else (mid + 1, hi)
    return lo


def mlp_intermediate_bytes(config, tokens: int, dtype="bf16") -> float:
    """Bytes of one MLP intermediate of ``tokens`` tokens: ``tokens x d_ff x bytes`` (the largest activation).

    Notebook 08 compares it with an on-chip L2 cache: where it is larger, the simple model's
    "activations stay on chip" does not hold and a real prefill also moves activations.
    """
    c = get_transformer(config)
    return check_int("tokens", tokens, 1) * c.d_ff * _bytes(dtype)


def inference_sweep(config, device, *, phases=_PHASES, contexts=(4096,), batch_sizes=(1,), dtype="bf16") -> pd.DataFrame:
    """``inference_step`` for every (phase, context, batch size): one row each, ready for the roofline plot."""
    rows = [inference_step(config, device, phase, context, batch, dtype)
            for phase in phases for context in contexts for batch in batch_sizes]
    table = pd.DataFrame(rows)
    table.attrs.update(model=get_transformer(config).name, device=_compute_device(device).name, dtype=dtype)
    return table


def prefill_vs_decode(config, device, context: int, batch_size: int = 1, dtype="bf16") -> pd.DataFrame:
    """The two phases side by side (index: phase)."""
    return inference_sweep(config, device, contexts=(context,), batch_sizes=(batch_size,), dtype=dtype).set_index("phase")


def inference_memory(config, context: int, batch_sizes=(1, 8, 16, 32, 64), dtype="bf16") -> pd.DataFrame:
    """Memory to serve: all weights (every parameter, tables included) + a KV cache of ``context`` tokens per sequence.

    Same definition as ``kv_max_batch_size`` (see there for how ``inference_step`` counts a decode step).
    """
    c = get_transformer(config)
    weights = transformer_param_count(c) * _bytes(dtype)
    rows = [(check_int("batch_size", b, 1), weights, kv_cache_bytes(c, context, b, dtype)) for b in batch_sizes]
    table = pd.DataFrame(rows, columns=["batch_size", "weight_bytes", "kv_bytes"])
    table["total_bytes"] = table["weight_bytes"] + table["kv_bytes"]
    table.attrs.update(model=c.name, context=context, dtype=dtype)
    return table


def kv_max_batch_size(config, device, context: int, dtype="bf16") -> int:
    """The most sequences of ``context`` tokens whose KV cache fits beside the weights in the device's memory (0: none).

    One definition of "fits" across the module: every stored weight + a cache holding ``context``
    tokens per sequence <= ``device.memory_bytes``. ``inference_step`` counts the cache *after* its
    step: ``context`` tokens after prefill, ``context + 1`` after a decode step (the new token's K and V
    are written), so ``inference_step(c, dev, "decode", T, b)["fits"]`` is ``b <= kv_max_batch_size(c, dev, T + 1)``.
    """
    c = get_transformer(config)
    dev = _device_with_memory(device)
    weights = transformer_param_count(c) * _bytes(dtype)
    free = dev.memory_bytes - weights
    return max(0, int(free // kv_cache_bytes(c, context, 1, dtype)))


def _device_with_memory(device):
    dev = get_device(device)
    if dev.memory_bytes is None:
        raise ValueError(f"device {dev.name!r} has no memory capacity in the catalog; pick a chip")
    return dev
