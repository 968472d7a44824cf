"""ConvTranspose2d, Upsample, the smooth and hard activations, LayerNorm and attention: costs worked by
hand, PyTorch's own counts on the twin (where torch is installed), and notebook 08's transformer helper."""
import pytest

import course_lib as cl


def _row(layer, shape):
    return cl.analyze(cl.Network("one", shape, (layer,))).iloc[0]


def _ops(layer, shape):
    return cl.op_counts(cl.Network("one", shape, (layer,))).iloc[0]


def test_conv_transpose_by_hand():
    # U-Net's up-convolution 1024 -> 512 channels, 2x2, stride 2, on 28x28: each input pixel scatters 2*2*512 weights
    row = _row(cl.ConvTranspose2d(512, 2, stride=2), (1024, 28, 28))
    assert row["out_shape"] == (512, 56, 56)
    assert row["params"] == 1024 * 512 * 2 * 2 + 512 == 2_097_664
    assert row["macs"] == 28 * 28 * 1024 * 512 * 4 == 1_644_167_168
    assert _ops(cl.ConvTranspose2d(512, 2, stride=2), (1024, 28, 28))["bias_adds"] == 512 * 56 * 56


@pytest.mark.parametrize("layer, shape, out", [
    (cl.Upsample(scale_factor=2), (3, 5, 7), (3, 10, 14)),
    (cl.Upsample(scale_factor=1.5, mode="bilinear"), (3, 5, 7), (3, 7, 10)),   # floor(7.5), floor(10.5)
    (cl.Upsample(size=(9, 4)), (3, 5, 7), (3, 9, 4)),
    (cl.Upsample(scale_factor=(2, 3)), (1, 2, 2), (1, 4, 6)),
])
def test_upsample_shapes(layer, shape, out):
    assert _row(layer, shape)["out_shape"] == out
    assert _row(layer, shape)["params"] == 0


def test_upsample_ops_per_output_element():
    assert _ops(cl.Upsample(scale_factor=2), (4, 6, 5))["upsample_ops"] == 4 * 12 * 10
    assert _ops(cl.Upsample(scale_factor=2, mode="bilinear"), (4, 6, 5))["upsample_ops"] == 4 * 4 * 12 * 10


@pytest.mark.parametrize("layer, column", [
    (cl.SiLU(), "smooth_activation_ops"), (cl.GELU(), "smooth_activation_ops"), (cl.Sigmoid(), "smooth_activation_ops"),
    (cl.Tanh(), "smooth_activation_ops"), (cl.Hardswish(), "hard_activation_ops"),
    (cl.Hardsigmoid(), "hard_activation_ops"), (cl.ReLU(), "activation_ops"),
])
def test_activations_cost_one_op_per_element(layer, column):
    ops = _ops(layer, (4, 6, 5))
    assert ops[column] == 120
    assert ops.drop(["name", "kind", column]).sum() == 0


def test_layer_norm_and_attention_by_hand():
    # ViT-B/16's encoder at 197 tokens of 768 features, 12 heads
    ln = _row(cl.LayerNorm(), (197, 768))
    assert ln["params"] == 2 * 768 and ln["macs"] == 0
    assert _ops(cl.LayerNorm(), (197, 768))["layernorm_ops"] == 5 * 197 * 768
    attention = _row(cl.MultiheadAttention(12), (197, 768))
    assert attention["params"] == 4 * 768 * 768 + 4 * 768 == 2_362_368
    # projections 4*T*E^2 = 464,781,312; Q K^T and softmax V: 2*T^2*E = 59,610,624
    assert attention["macs"] == 464_781_312 + 59_610_624
    assert _ops(cl.MultiheadAttention(12), (197, 768))["softmax_ops"] == 12 * 197 * 197
    linear = _row(cl.Linear(3072), (197, 768))
    assert linear["out_shape"] == (197, 3072) and linear["macs"] == 197 * 768 * 3072
    assert linear["params"] == 768 * 3072 + 3072


def test_vit_token_layers():
    net = cl.Network("patches", (3, 224, 224), (cl.Conv2d(768, 16, stride=16), cl.PatchTokens(), cl.ClassToken(),
                                               cl.PositionEmbedding(), cl.SelectToken()))
    table = cl.analyze(net)
    assert table["out_shape"].tolist() == [(768, 14, 14), (196, 768), (197, 768), (197, 768), (768,)]
    assert table["params"].tolist() == [3 * 256 * 768 + 768, 0, 768, 197 * 768, 0]


@pytest.mark.parametrize("config", ["GPT-2 small", cl.TransformerConfig("tiny", n_layers=2, d_model=64, n_heads=4,
                                                                         vocab_size=100, max_context=32)])
@pytest.mark.parametrize("tokens", [1, 16])
def test_decoder_network_matches_the_transformer_helper(config, tokens):
    config = cl.get_transformer(config)
    untied = cl.TransformerConfig(**{**config.__dict__, "name": "untied", "tied_embeddings": False})
    net = cl.decoder_network(untied, tokens)
    table = cl.analyze(net)
    assert table["params"].sum() == cl.transformer_param_count(untied)
    assert table["macs"].sum() == tokens * cl.transformer_macs(untied, tokens)["macs"].sum()
    # GPT-2 ties its head to the token table: a Network counts that matrix twice
    tied = cl.analyze(cl.decoder_network(config, tokens))["params"].sum()
    assert tied - cl.transformer_param_count(config) == (config.vocab_size * config.d_model if config.tied_embeddings
                                                         else 0)


def test_gpt2_small_params_published():
    # GPT-2 small: 124,439,808 parameters with the tied head (Hugging Face "gpt2"), + 50257*768 untied
    assert cl.analyze(cl.decoder_network("GPT-2 small", 8))["params"].sum() == 124_439_808 + 50257 * 768


@pytest.mark.parametrize("make, error, message", [
    (lambda: cl.ConvTranspose2d(8, 3, stride=2, output_padding=2), None, None),
    (lambda: cl.ConvTranspose2d(0, 2), ValueError, r"out_channels must be >= 1"),
    (lambda: cl.ConvTranspose2d(8, 2, groups=3), ValueError, r"groups=3 must divide out_channels=8"),
    (lambda: cl.Upsample(), ValueError, r"give exactly one of size and scale_factor"),
    (lambda: cl.Upsample(size=4, scale_factor=2), ValueError, r"give exactly one of size and scale_factor"),
    (lambda: cl.Upsample(scale_factor=0), ValueError, r"scale_factor must be > 0"),
    (lambda: cl.Upsample(scale_factor=2, mode="bicubic"), ValueError, r"mode must be one of 'nearest', 'bilinear'"),
    (lambda: cl.Upsample(size=(2, 0)), ValueError, r"size\[1\] must be >= 1"),
    (lambda: cl.MultiheadAttention(0), ValueError, r"num_heads must be >= 1"),
    (lambda: cl.LayerNorm(bias="no"), TypeError, r"bias must be True or False"),
    (lambda: cl.Embedding(0, 4), ValueError, r"num_embeddings must be >= 1"),
    (lambda: cl.SelectToken(-1), ValueError, r"index must be >= 0"),
    (lambda: cl.SiLU(name=""), TypeError, r"name must be a non-empty string"),
    (lambda: cl.transformer_encoder_layer(64, 4, 256, activation="swish"), ValueError, r"activation must be one of"),
    (lambda: cl.decoder_network("Llama-2-7B", 4), ValueError, r"GELU / LayerNorm"),
])
def test_layer_argument_errors(make, error, message):
    if error is None:
        make()  # output_padding is checked against the input when analyzed
        return
    with pytest.raises(error, match=message):
        make()


@pytest.mark.parametrize("layers, shape, message", [
    ((cl.ConvTranspose2d(8, 3, stride=2, output_padding=2),), (3, 8, 8),
     r"layer upconv1 \(ConvTranspose2d\) on a \(3, 8, 8\) input: output_padding=2 must be smaller"),
    ((cl.MultiheadAttention(5),), (7, 8), r"layer attn1 \(MultiheadAttention\): num_heads=5 must divide the 8 features"),
    ((cl.MultiheadAttention(2),), (3, 8, 8), r"layer attn1 \(MultiheadAttention\) needs a \(tokens, features\)"),
    ((cl.Linear(4),), (3, 8, 8), r"layer fc1 \(Linear\) needs a flat \(N,\) input"),
    ((cl.Upsample(scale_factor=0.1),), (3, 8, 8), r"layer up1 \(Upsample\): scale_factor=\(0.1, 0.1\) shrinks"),
    ((cl.PositionEmbedding(4),), (7, 8), r"layer pos1 \(PositionEmbedding\): 7 tokens but only 4 positions"),
    ((cl.SelectToken(9),), (7, 8), r"index=9 but only 7 tokens"),
    ((cl.PatchTokens(),), (7, 8), r"layer tokens1 \(PatchTokens\) needs a \(C, H, W\)"),
])
def test_misfits_name_the_layer(layers, shape, message):
    with pytest.raises(ValueError, match=message):
        cl.analyze(cl.Network("bad", shape, layers))


# ----------------------------------------------------------------------------------- against PyTorch
@pytest.mark.torch
@pytest.mark.parametrize("layers, shape", [
    ((cl.ConvTranspose2d(3, 2, stride=2),), (4, 6, 5)),
    ((cl.ConvTranspose2d(6, 3, stride=2, padding=1, output_padding=1, groups=2, bias=False),), (4, 7, 5)),
    ((cl.ConvTranspose2d(2, (3, 2), stride=(2, 1), dilation=2),), (2, 5, 4)),
    ((cl.Upsample(scale_factor=2), cl.Upsample(scale_factor=1.5, mode="bilinear"), cl.Upsample(size=(5, 9))), (2, 5, 7)),
    ((cl.SiLU(), cl.GELU(), cl.Sigmoid(), cl.Tanh(), cl.Hardswish(), cl.Hardsigmoid()), (3, 4, 4)),
    ((cl.Conv2d(16, 4, stride=4), cl.PatchTokens(), cl.ClassToken(), cl.PositionEmbedding(), cl.LayerNorm(),
      cl.transformer_encoder_layer(16, 4, 32), cl.transformer_encoder_layer(16, 2, 8, norm_first=False, activation="relu"),
      cl.SelectToken(), cl.Linear(10)), (3, 16, 12)),
])
def test_new_layers_against_torch(layers, shape):
    torch = pytest.importorskip("torch")
    from torch.nn.attention import SDPBackend, sdpa_kernel
    from torch.utils.flop_counter import FlopCounterMode
    from course_lib.torch_bridge import to_torch
    net = cl.Network("new", shape, layers)
    module = to_torch(net)
    counter = FlopCounterMode(display=False)
    # grad stays on: torch.nn.MultiheadAttention's fused inference path (not counted) is then skipped, and the
    # math backend of scaled_dot_product_attention does Q K^T and softmax V as matrix products the counter sees
    with counter, sdpa_kernel(SDPBackend.MATH):
        out = module(torch.zeros(1, *shape))
    table = cl.analyze(net)
    assert tuple(out.shape[1:]) == net.output_shape
    assert table["params"].sum() == sum(p.numel() for p in module.parameters())
    assert table["macs"].sum() == counter.get_total_flops() // 2


@pytest.mark.torch
def test_decoder_network_against_torch():
    torch = pytest.importorskip("torch")
    from torch.nn.attention import SDPBackend, sdpa_kernel
    from torch.utils.flop_counter import FlopCounterMode
    from course_lib.torch_bridge import to_torch
    config = cl.TransformerConfig("tiny", n_layers=2, d_model=32, n_heads=4, vocab_size=50, max_context=16,
                                  tied_embeddings=False)
    net = cl.decoder_network(config, 12)
    module = to_torch(net)
    counter = FlopCounterMode(display=False)
    # grad stays on: torch.nn.MultiheadAttention's fused inference path (not counted) is then skipped, and the
    # math backend of scaled_dot_product_attention does Q K^T and softmax V as matrix products the counter sees
    with counter, sdpa_kernel(SDPBackend.MATH):
        out = module(torch.zeros(1, 12, dtype=torch.long))
    assert tuple(out.shape[1:]) == (12, 50)
    assert sum(p.numel() for p in module.parameters()) == cl.transformer_param_count(config)
    assert counter.get_total_flops() // 2 == 12 * cl.transformer_macs(config, 12)["macs"].sum()


@pytest.mark.torch
def test_conv_transpose_output_size_matches_torch():
    torch = pytest.importorskip("torch")
    from hypothesis import given, settings, strategies as st

    @settings(max_examples=60, deadline=None)
    @given(size=st.integers(1, 12), kernel=st.integers(1, 5), stride=st.integers(1, 3), padding=st.integers(0, 3),
           output_padding=st.integers(0, 2), dilation=st.integers(1, 3))
    def check(size, kernel, stride, padding, output_padding, dilation):
        try:
            conv = torch.nn.ConvTranspose2d(1, 1, kernel, stride, padding, output_padding, dilation=dilation)
            torch_size = conv(torch.zeros(1, 1, size, size)).shape[-1]
        except (RuntimeError, ValueError):
            with pytest.raises(ValueError):
                cl.conv_transpose_output_size(size, kernel, stride, padding, output_padding, dilation)
            return
        if torch_size < 1:  # torch may return an empty map where course_lib refuses
            with pytest.raises(ValueError, match="the output would be empty"):
                cl.conv_transpose_output_size(size, kernel, stride, padding, output_padding, dilation)
            return
        assert cl.conv_transpose_output_size(size, kernel, stride, padding, output_padding, dilation) == torch_size

    check()
