"""Transformer sizing (course_lib.transformer, notebook 08) against independent references:
published parameter counts, hand-worked values, nanoGPT's transformer_sizing notebook, and
PyTorch (a small GPT built in torch.nn, its parameter count and FlopCounterMode FLOPs)."""
from __future__ import annotations

import math

import pytest

import course_lib as cl
from course_lib.transformer import TransformerConfig

H200 = "H200 SXM bf16"


def gpt2(name, n_layers, d_model, n_heads):
    return TransformerConfig(name, n_layers=n_layers, d_model=d_model, n_heads=n_heads)


def llama(name, n_layers, d_model, n_heads, n_kv_heads, d_ff, vocab_size=32000):
    return TransformerConfig(name, n_layers=n_layers, d_model=d_model, n_heads=n_heads, n_kv_heads=n_kv_heads,
                             d_ff=d_ff, vocab_size=vocab_size, max_context=4096, mlp="swiglu",
                             tied_embeddings=False, bias=False, norm="rmsnorm", position="rope")


# Published counts: Hugging Face model cards / `model.num_parameters()` (GPT-2 family with the
# tied head counted once), the Llama 2 and Llama 3 releases (HF configs), and nanoGPT's
# transformer_sizing.ipynb (GPT-2 small without biases: 124,337,664).
PUBLISHED = [
    (cl.GPT2_SMALL, 124_439_808),
    (gpt2("GPT-2 medium", 24, 1024, 16), 354_823_168),
    (gpt2("GPT-2 large", 36, 1280, 20), 774_030_080),
    (gpt2("GPT-2 XL", 48, 1600, 25), 1_557_611_200),
    (TransformerConfig("nanoGPT bias=False", bias=False), 124_337_664),
    (cl.LLAMA2_7B, 6_738_415_616),
    (llama("Llama-2-13B", 40, 5120, 40, 40, 13824), 13_015_864_320),
    (llama("Llama-2-70B", 80, 8192, 64, 8, 28672), 68_976_648_192),
    (cl.LLAMA3_8B, 8_030_261_248),
    # head_dim != d_model / n_heads: Gemma-7B (HF google/gemma-7b config.json: 16 heads of 256 = 4096 on a
    # 3072-wide stream, GeGLU, tied head); 8,537,680,896 as keras-hub's gemma_7b_en preset lists it.
    (TransformerConfig("Gemma-7B", n_layers=28, d_model=3072, n_heads=16, n_kv_heads=16, head_dim=256, d_ff=24576,
                       vocab_size=256000, max_context=8192, mlp="geglu", tied_embeddings=True, bias=False,
                       norm="rmsnorm", position="rope"), 8_537_680_896),
    # biases on q, k, v only: Qwen2.5-0.5B (HF Qwen/Qwen2.5-0.5B config.json), 494,032,768 parameters.
    (TransformerConfig("Qwen2.5-0.5B", n_layers=24, d_model=896, n_heads=14, n_kv_heads=2, d_ff=4864,
                       vocab_size=151936, max_context=32768, mlp="swiglu", tied_embeddings=True, bias=False,
                       qkv_bias=True, norm="rmsnorm", position="rope"), 494_032_768),
]


@pytest.mark.parametrize("config, published", PUBLISHED, ids=[c.name for c, _ in PUBLISHED])
def test_param_count_matches_published(config, published):
    assert cl.transformer_param_count(config) == published


@pytest.mark.parametrize("config", [c for c, _ in PUBLISHED], ids=[c.name for c, _ in PUBLISHED])
def test_totals_are_sums_of_parts(config):
    table = cl.transformer_params(config)
    assert (table["params"] == table["each"] * table["copies"]).all()
    assert cl.transformer_param_count(config) == table["params"].sum()
    macs = cl.transformer_macs(config, 100)
    assert (macs["macs"] == macs["each"] * macs["copies"]).all()
    sweep = cl.macs_vs_context(config, [1, 100])
    assert sweep["macs"].iloc[1] == macs["macs"].sum()


def test_gemma_block_by_hand():
    # one Gemma-7B block, worked by hand: q, k, v 3072 -> 3 x 4096; o 4096 -> 3072; gate, up, down 3072 x 24576;
    # two RMSNorms of 3072. Counting o as 3072 x 3072 (head_dim taken as d_model / n_heads) gives 8.19 B in all.
    gemma = PUBLISHED[-2][0]
    table = cl.transformer_params(gemma)
    assert table.loc["attention/qkv", "each"] == 3072 * 3 * 4096
    assert table.loc["attention/proj", "each"] == 4096 * 3072
    assert int(table.loc[table["copies"] == 28, "each"].sum()) == 3 * 3072 * 4096 + 4096 * 3072 + 3 * 3072 * 24576 + 2 * 3072
    assert gemma.q_dim == 4096 and gemma.kv_dim == 4096
    assert cl.kv_cache_bytes_per_token(gemma, "bf16") == 2 * 28 * 16 * 256 * 2
    assert cl.transformer_macs(gemma, 10).loc["attention/scores", "each"] == 16 * 256 * 10


def test_qkv_bias_only():
    qwen = PUBLISHED[-1][0]
    table = cl.transformer_params(qwen)
    assert table.loc["attention/qkv", "each"] == 896 * (896 + 2 * 128) + (896 + 2 * 128)   # q, k, v biases
    assert table.loc["attention/proj", "each"] == 896 * 896                                # o has none
    assert table.loc["mlp/up", "each"] == 896 * 4864


def test_gpt2_block_by_hand():
    # one GPT-2 small block: LN 2*768, c_attn 768*2304+2304, c_proj 768*768+768,
    # LN 2*768, c_fc 768*3072+3072, c_proj 3072*768+768 (HF module shapes)
    by_hand = 2 * 768 + (768 * 2304 + 2304) + (768 * 768 + 768) + 2 * 768 + (768 * 3072 + 3072) + (3072 * 768 + 768)
    table = cl.transformer_params(cl.GPT2_SMALL)
    assert table.loc[table["copies"] == 12, "each"].sum() == by_hand == 7_087_872


def test_forward_flops_match_nanogpt_sizing_notebook():
    # nanoGPT transformer_sizing.ipynb: forward_total = 291,648,307,200 FLOPs for 1024 tokens of
    # GPT-2 small, every token attending to all 1024 (no causal saving), biases not counted.
    macs_per_token = cl.transformer_macs(cl.GPT2_SMALL, 1024)["macs"].sum()
    assert 2 * 1024 * macs_per_token == 291_648_307_200


def test_crossover_by_hand():
    # Llama-2-7B: matrices 32*(3*4096^2 + 4096^2 + 3*4096*11008) + 4096*32000 MACs per token;
    # attention 2*32*4096 MACs per key.
    matrices = 32 * (4 * 4096 ** 2 + 3 * 4096 * 11008) + 4096 * 32000
    assert cl.attention_crossover_context(cl.LLAMA2_7B) == pytest.approx(matrices / (2 * 32 * 4096))
    assert cl.attention_crossover_context(cl.LLAMA2_7B) == pytest.approx(25_204)


@pytest.mark.parametrize("config, dtype, per_token", [
    (cl.LLAMA2_7B, "bf16", 512 * 1024),        # the often-quoted "0.5 MB of KV cache per token"
    (cl.LLAMA3_8B, "bf16", 128 * 1024),        # GQA: 8 KV heads instead of 32, a quarter
    (cl.GPT2_SMALL, "fp32", 2 * 12 * 768 * 4),
    (cl.LLAMA2_7B, "fp8", 256 * 1024),
    (cl.LLAMA2_7B, 1, 256 * 1024),             # bytes per element given as a number
])
def test_kv_cache_per_token(config, dtype, per_token):
    assert cl.kv_cache_bytes_per_token(config, dtype) == per_token


@pytest.mark.parametrize("context, batch, expected", [(4096, 1, 2 ** 31), (4096, 8, 2 ** 34), (1, 1, 2 ** 19),
                                                      (1000, 3, 3000 * 2 ** 19)])
def test_kv_cache_bytes_llama2(context, batch, expected):
    assert cl.kv_cache_bytes(cl.LLAMA2_7B, context, batch, "bf16") == expected


def test_max_batch_on_h200_by_hand():
    # the H200's "141GB" are GiB: (141 x 2^30 - 6,738,415,616 x 2) / 2^31 = (151,397,597,184 - 13,476,831,232)
    # / 2,147,483,648 = 64.22 -> 64 sequences of 4096 tokens (read as 141e9 bytes it would be 59.38 -> 59)
    assert cl.kv_max_batch_size(cl.LLAMA2_7B, H200, 4096) == math.floor((141 * 2 ** 30 - 6_738_415_616 * 2) / 2 ** 31) == 64
    assert cl.kv_max_batch_size(gpt2("big", 200, 8192, 64), "RTX 4090 fp16 tensor", 1024) == 0


def test_decode_step_by_hand():
    step = cl.inference_step(cl.LLAMA2_7B, H200, "decode", 4096)
    # weights read: all but the untied token table; + the 2 GiB cache read + one token's 512 KiB written
    by_hand = (6_738_415_616 - 32000 * 4096) * 2 + 2 ** 31 + 2 ** 19
    assert step["bytes"] == by_hand
    assert step["time_s"] == pytest.approx(by_hand / 4.8e12)
    assert step["bound"] == "memory"


def test_prefill_causal_by_hand():
    # 1 layer, d=4, 1 head, d_ff=16, vocab 10, no biases: matrices 4*12 + 16 + 64 + 64 + 40 = 232 MACs a token;
    # causal attention over 3 tokens: 2 * 4 * (1 + 2 + 3) = 48 MACs.
    tiny = TransformerConfig("tiny", n_layers=1, d_model=4, n_heads=1, d_ff=16, vocab_size=10, max_context=8,
                             bias=False, tied_embeddings=True)
    step = cl.inference_step(tiny, H200, "prefill", 3)
    assert step["flops"] == 2 * (3 * 232 + 48)
    assert step["tokens"] == 3


@pytest.mark.parametrize("config", [cl.GPT2_SMALL, cl.LLAMA2_7B, cl.LLAMA3_8B], ids=lambda c: c.name)
@pytest.mark.parametrize("dtype", ["fp32", "bf16", "fp8"])
def test_decode_batch1_intensity_is_two_flops_per_weight_read(config, dtype):
    # each weight is read once and used in one MAC (2 FLOPs): intensity ~ 2 / bytes per element
    step = cl.inference_step(config, H200, "decode", 128, 1, dtype)
    assert step["intensity"] == pytest.approx(2 / cl.TRANSFORMER_DTYPES[dtype], rel=0.02)
    assert step["bound"] == "memory"


def test_prefill_is_compute_bound_and_ridge_is_206():
    for config in (cl.LLAMA2_7B, cl.LLAMA3_8B):
        step = cl.inference_step(config, H200, "prefill", 4096)
        assert step["bound"] == "compute" and step["intensity"] > 1000
        assert step["ridge"] == pytest.approx(989.5e12 / 4.8e12)


def test_batch_raises_decode_intensity():
    table = cl.inference_sweep(cl.LLAMA2_7B, H200, phases=("decode",), contexts=(16,),
                               batch_sizes=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512))
    assert table["intensity"].is_monotonic_increasing
    assert table["bound"].iloc[0] == "memory" and table["bound"].iloc[-1] == "compute"
    # at long context each sequence brings its own cache: intensity levels off far below the ridge
    long = cl.inference_sweep(cl.LLAMA2_7B, H200, phases=("decode",), contexts=(4096,), batch_sizes=(64, 512, 10**6))
    assert (long["bound"] == "memory").all()
    limit = cl.decode_intensity_limit(cl.LLAMA2_7B, 4096)
    assert long["intensity"].iloc[-1] == pytest.approx(limit, rel=1e-3)
    # by hand: 2 FLOPs x (6,607,077,376 matrix MACs + 2*32*4096 per key x 4096 keys) / (512 KiB x 4097 tokens)
    assert limit == pytest.approx(2 * (6_607_077_376 + 2 * 32 * 4096 * 4096) / (2 ** 19 * 4097))


def test_prefill_vs_decode_table():
    table = cl.prefill_vs_decode(cl.LLAMA2_7B, H200, 4096)
    assert list(table.index) == ["prefill", "decode"]
    assert table.loc["prefill", "time_per_token_s"] < table.loc["decode", "time_per_token_s"]


def test_inference_memory_sums():
    table = cl.inference_memory(cl.LLAMA2_7B, 4096, (1, 64))
    assert (table["total_bytes"] == table["weight_bytes"] + table["kv_bytes"]).all()
    assert table["weight_bytes"].iloc[0] == 6_738_415_616 * 2


@pytest.mark.parametrize("call, error, words", [
    (lambda: TransformerConfig(d_model=768, n_heads=10), ValueError, "n_heads=10"),
    (lambda: TransformerConfig(n_kv_heads=5), ValueError, "n_kv_heads=5"),
    (lambda: TransformerConfig(n_kv_heads=0), ValueError, "n_kv_heads"),
    (lambda: TransformerConfig(mlp="relu"), ValueError, "mlp"),
    (lambda: TransformerConfig(norm="batchnorm"), ValueError, "norm"),
    (lambda: TransformerConfig(n_layers=True), TypeError, "n_layers"),
    (lambda: TransformerConfig(d_model=3072, n_heads=7), ValueError, "head_dim"),
    (lambda: TransformerConfig(head_dim=0), ValueError, "head_dim"),
    (lambda: TransformerConfig(qkv_bias="yes"), TypeError, "qkv_bias"),
    (lambda: cl.mlp_intermediate_bytes(cl.LLAMA2_7B, 0), ValueError, "tokens"),
    (lambda: TransformerConfig(n_layers=1.5), TypeError, "n_layers"),
    (lambda: TransformerConfig(bias="yes"), TypeError, "bias"),
    (lambda: cl.get_transformer("GPT-5"), ValueError, "presets"),
    (lambda: cl.transformer_macs(cl.GPT2_SMALL, 0), ValueError, "context"),
    (lambda: cl.kv_cache_bytes(cl.GPT2_SMALL, 10, 0), ValueError, "batch_size"),
    (lambda: cl.kv_cache_bytes(cl.GPT2_SMALL, 10, 1, "fp64"), ValueError, "dtype"),
    (lambda: cl.kv_cache_bytes(cl.GPT2_SMALL, 10, 1, -2), ValueError, "dtype"),
    (lambda: cl.inference_step(cl.GPT2_SMALL, H200, "train", 10), ValueError, "phase"),
    (lambda: cl.inference_step(cl.GPT2_SMALL, "DDR4-2400 channel", "decode", 10), ValueError, "no compute peak"),
    (lambda: cl.kv_max_batch_size(cl.GPT2_SMALL, "Xeon E5345 (seeds)", 10), ValueError, "memory capacity"),
])
def test_bad_input(call, error, words):
    with pytest.raises(error, match=words):
        call()


# -- plots and widget -----------------------------------------------------------------------------

def test_plots_return_labelled_figures():
    from matplotlib.figure import Figure
    figs = [
        cl.plots.macs_context_plot(cl.macs_vs_context(cl.LLAMA2_7B, [2 ** k for k in range(7, 18)])),
        cl.plots.kv_memory_plot(cl.inference_memory(cl.LLAMA2_7B, 4096), H200),
        cl.plots.transformer_roofline_plot(cl.inference_sweep(cl.LLAMA2_7B, H200, batch_sizes=(1, 64))),
    ]
    for fig in figs:
        assert isinstance(fig, Figure)
        ax = fig.axes[0]
        assert ax.get_xlabel() and ax.get_ylabel()
    # the memory line is the catalog's bytes, labelled as sold: 141 x 2^30 = 151,397,597,184 B = 151 GB
    memory_labels = [t.get_text() for t in figs[1].axes[0].texts]
    assert any("141 GiB = 151 GB" in label for label in memory_labels), memory_labels


DEFAULTS = dict(model="Llama-2-7B", context=4096, batch_size=1, dtype="bf16", device=H200)


def _ranges():
    from course_lib.widgets.transformer import TRANSFORMER_BATCHES, TRANSFORMER_CONTEXTS, transformer_devices
    return {"model": list(cl.TRANSFORMER_PRESETS), "context": list(TRANSFORMER_CONTEXTS),
            "batch_size": list(TRANSFORMER_BATCHES), "dtype": list(cl.TRANSFORMER_DTYPES),
            "device": transformer_devices()}


@pytest.mark.parametrize("control", ["model", "context", "batch_size", "dtype", "device"])
def test_widget_view_across_each_control(control):
    for value in _ranges()[control]:
        values = dict(DEFAULTS, **{control: value})
        config = cl.get_transformer(values["model"])
        if values["context"] > config.max_context:
            with pytest.raises(ValueError, match="trained for"):
                cl.widgets.transformer_view(**values)
            continue
        text, fig = cl.widgets.transformer_view(**values)
        assert "prefill" in text and "decode" in text and config.name in text


def test_widget_builds():
    app = cl.widgets.transformer_explorer()
    assert len(app.children) >= 3


def test_widget_lowers_context_for_a_shorter_model():
    app = cl.widgets.transformer_explorer()
    controls = {c.description: c for row in app.children[1:-1] for c in row.children}
    controls["model"].value = "GPT-2 small"           # trained on 1,024 tokens; the default context is 4,096
    assert controls["context"].value == 1024


def test_steps_that_do_not_fit_are_marked():
    # Llama-2-7B, 4,096 tokens, bf16 on the 141 GiB H200: 64 sequences fit (test_max_batch_on_h200_by_hand)
    sweep = cl.inference_sweep(cl.LLAMA2_7B, H200, phases=("decode",), batch_sizes=(64, 65))
    assert list(sweep["fits"]) == [True, False]
    text, _ = cl.widgets.transformer_view(batch_size=65)
    assert "does not fit" in text and "at most 64 sequences" in text and "141 GiB" in text
    assert cl.inference_step(cl.LLAMA2_7B, cl.Device("no capacity", 1e12, 1e11), "decode", 10)["fits"] is None


def test_decode_batch_for_ridge():
    # Llama-2-7B at 128 tokens: 2 x MACs per token / (KV bytes of 129 tokens) < 206, so no batch reaches the ridge
    assert cl.decode_batch_for_ridge(cl.LLAMA2_7B, H200, 128) is None
    b = cl.decode_batch_for_ridge(cl.LLAMA3_8B, H200, 128)
    assert b is not None
    assert cl.inference_step(cl.LLAMA3_8B, H200, "decode", 128, b)["bound"] == "compute"
    assert cl.inference_step(cl.LLAMA3_8B, H200, "decode", 128, b - 1)["bound"] == "memory"


def test_mlp_intermediate_by_hand():
    assert cl.mlp_intermediate_bytes(cl.LLAMA2_7B, 4096, "bf16") == 4096 * 11008 * 2   # 90.2 MB


# -- PyTorch cross-check ----------------------------------------------------------------------------

def _torch_model(c):
    torch = pytest.importorskip("torch")
    nn, F = torch.nn, torch.nn.functional

    def norm():
        return nn.LayerNorm(c.d_model, bias=c.bias) if c.norm == "layernorm" else nn.RMSNorm(c.d_model)

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            d, b, qb = c.d_model, c.bias, c.qkv_bias
            self.n1, self.n2 = norm(), norm()
            self.q, self.k, self.v = nn.Linear(d, c.q_dim, qb), nn.Linear(d, c.kv_dim, qb), nn.Linear(d, c.kv_dim, qb)
            self.o = nn.Linear(c.q_dim, d, b)
            self.up, self.down = nn.Linear(d, c.d_ff, b), nn.Linear(c.d_ff, d, b)
            self.gate = nn.Linear(d, c.d_ff, b) if c.mlp in ("swiglu", "geglu") else None

        def forward(self, x):
            B, T, d = x.shape
            H, KV, hs = c.n_heads, c.n_kv_heads, c.head_dim
            h = self.n1(x)
            q = self.q(h).view(B, T, H, hs).transpose(1, 2)                                     # (B, H, T, hs)
            k = self.k(h).view(B, T, KV, hs).transpose(1, 2).repeat_interleave(H // KV, dim=1)  # (B, H, T, hs)
            v = self.v(h).view(B, T, KV, hs).transpose(1, 2).repeat_interleave(H // KV, dim=1)
            att = (q @ k.transpose(-2, -1)) / math.sqrt(hs)                                      # (B, H, T, T)
            att = att.masked_fill(torch.ones(T, T, dtype=torch.bool).triu(1), float("-inf")).softmax(-1)
            x = x + self.o((att @ v).transpose(1, 2).reshape(B, T, H * hs))
            h = self.n2(x)
            m = F.silu(self.gate(h)) * self.up(h) if self.gate is not None else F.gelu(self.up(h))
            return x + self.down(m)

    class GPT(nn.Module):
        def __init__(self):
            super().__init__()
            self.tok = nn.Embedding(c.vocab_size, c.d_model)
            self.pos = nn.Embedding(c.max_context, c.d_model) if c.position == "learned" else None
            self.blocks = nn.ModuleList(Block() for _ in range(c.n_layers))
            self.norm = norm()
            self.head = nn.Linear(c.d_model, c.vocab_size, bias=False)
            if c.tied_embeddings:
                self.head.weight = self.tok.weight

        def forward(self, idx):
            x = self.tok(idx)
            if self.pos is not None:
                x = x + self.pos(torch.arange(idx.shape[1]))
            for block in self.blocks:
                x = block(x)
            return self.head(self.norm(x))

    return torch, GPT()


TORCH_CONFIGS = [
    TransformerConfig("gpt-like", n_layers=2, d_model=64, n_heads=4, vocab_size=101, max_context=32),
    TransformerConfig("gpt-nobias-untied", n_layers=3, d_model=48, n_heads=3, d_ff=100, vocab_size=77,
                      max_context=16, bias=False, tied_embeddings=False),
    TransformerConfig("llama-like-gqa", n_layers=2, d_model=64, n_heads=8, n_kv_heads=2, d_ff=96, vocab_size=50,
                      max_context=32, mlp="swiglu", tied_embeddings=False, bias=False, norm="rmsnorm",
                      position="rope"),
    TransformerConfig("gemma-like-head-dim", n_layers=2, d_model=48, n_heads=4, head_dim=20, d_ff=64, vocab_size=40,
                      max_context=16, mlp="swiglu", bias=False, norm="rmsnorm", position="rope"),
    TransformerConfig("qwen-like-qkv-bias", n_layers=2, d_model=64, n_heads=8, n_kv_heads=2, d_ff=96, vocab_size=50,
                      max_context=32, mlp="swiglu", bias=False, qkv_bias=True, norm="rmsnorm", position="rope"),
]


@pytest.mark.torch
@pytest.mark.parametrize("config", TORCH_CONFIGS, ids=lambda c: c.name)
def test_params_match_torch(config):
    torch, model = _torch_model(config)
    assert cl.transformer_param_count(config) == sum(p.numel() for p in model.parameters())


@pytest.mark.torch
@pytest.mark.parametrize("config", TORCH_CONFIGS, ids=lambda c: c.name)
@pytest.mark.parametrize("tokens", [1, 7, 16])
def test_forward_flops_match_torch_flop_counter(config, tokens):
    torch, model = _torch_model(config)
    from torch.utils.flop_counter import FlopCounterMode
    idx = torch.zeros(1, tokens, dtype=torch.long)
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model(idx)
    # the explicit attention computes all tokens x tokens scores (the mask zeroes half afterwards)
    assert counter.get_total_flops() == 2 * tokens * cl.transformer_macs(config, tokens)["macs"].sum()


def test_one_definition_of_fits_prefill_counts_context_decode_counts_context_plus_one():
    # By hand: Llama-2-7B bf16 weights 6,738,415,616 x 2 = 13,476,831,232 B; H200 141 GiB = 151,397,597,184 B;
    # free 137,920,765,952 B / 524,288 B per token (2 x 32 layers x 32 heads x 128 x 2 B) = 263,062.5 tokens.
    h200 = cl.get_device("H200 SXM bf16")
    assert h200.memory_bytes == 141 * 2**30
    full = 263_062
    assert cl.kv_max_batch_size(cl.LLAMA2_7B, h200, full, "bf16") == 1
    assert cl.kv_max_batch_size(cl.LLAMA2_7B, h200, full + 1, "bf16") == 0
    assert cl.inference_memory(cl.LLAMA2_7B, full, (1,), "bf16")["total_bytes"].iloc[0] <= h200.memory_bytes
    assert cl.inference_step(cl.LLAMA2_7B, h200, "prefill", full, 1, "bf16")["fits"] is True
    # a decode step writes the new token's K and V: the cache holds full + 1 tokens, one too many
    assert cl.inference_step(cl.LLAMA2_7B, h200, "decode", full, 1, "bf16")["fits"] is False
    assert cl.inference_step(cl.LLAMA2_7B, h200, "decode", full - 1, 1, "bf16")["fits"] is True


def test_memory_bars_are_labelled_with_their_totals():
    # Llama-2-7B in bf16: 6,738,415,616 x 2 B = 13.48 GB of weights; one 4,096-token cache is
    # 2 x 32 layers x 32 heads x 128 x 2 B x 4096 = 2,147,483,648 B; batch 1: 15.62 GB, batch 8: 30.66 GB
    fig = cl.plots.kv_memory_plot(cl.inference_memory(cl.LLAMA2_7B, 4096, (1, 8)), H200)
    labels = [t.get_text() for t in fig.axes[0].texts]
    assert "15.6\n(KV 2.1)" in labels and "30.7\n(KV 17.2)" in labels, labels


def test_memory_bound_label_stays_clear_of_the_decode_points():
    # the label sits high in the upper left, far above the slanted roof where decode points lie
    from matplotlib.transforms import Bbox
    points = cl.inference_sweep(cl.LLAMA2_7B, H200, phases=("decode",), contexts=(4096,), batch_sizes=(1, 8, 64))
    fig = cl.plots.transformer_roofline_plot(points)
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    texts = fig.axes[0].texts
    label = next(t for t in texts if t.get_text().startswith("memory bound"))
    others = [t for t in texts if t.get_text().startswith("decode")]
    box = label.get_window_extent(renderer)
    assert len(others) == 3
    assert not any(Bbox.intersection(box, t.get_window_extent(renderer)) for t in others)
