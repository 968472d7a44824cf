"""memory.py against independent references: PyTorch's element sizes and optimizer state,
the published AlexNet parameter counts, and feature-map sizes worked by hand from the shapes."""

import pytest

import course_lib as cl



@pytest.mark.parametrize("dtype, expected", [
    ("fp32", 4), ("fp16", 2), ("bf16", 2), ("int8", 1),
    ("int4", 4 / 8), ("1-bit", 1 / 8),          # bits / 8
    ("FP32", 4), (" bf16 ", 2),                   # case and spaces do not matter
])
def test_bytes_per_element(dtype, expected):
    assert cl.bytes_per_element(dtype) == expected


@pytest.mark.torch
@pytest.mark.parametrize("dtype, torch_name", [("fp32", "float32"), ("fp16", "float16"), ("bf16", "bfloat16"),
                                               ("int8", "int8")])
def test_bytes_per_element_matches_torch(dtype, torch_name):
    torch = pytest.importorskip("torch")
    assert cl.bytes_per_element(dtype) == torch.empty(0, dtype=getattr(torch, torch_name)).element_size()


@pytest.mark.parametrize("bad, error", [("fp64", ValueError), ("float", ValueError), (4, TypeError), (None, TypeError)])
def test_unknown_dtype_lists_the_known_ones(bad, error):
    with pytest.raises(error, match="dtype") as info:
        cl.bytes_per_element(bad)
    if error is ValueError:
        for known in ("fp32", "bf16", "int4", "1-bit"):
            assert known in str(info.value)


@pytest.mark.parametrize("builder, dtype, expected", [
    (cl.zoo.alexnet_original, "fp32", 60_965_224 * 4),   # 60,965,224 params, summed layer by layer in test_ex02_ex03_content
    (cl.zoo.alexnet, "fp32", 61_100_840 * 4),            # torchvision's published count
    (cl.zoo.vgg16, "fp16", 138_357_544 * 2),
    (cl.zoo.resnet50, "int8", 25_557_032),
    (cl.zoo.mobilenet_v2, "int4", 3_504_872 / 2),
    (cl.zoo.resnet18, "1-bit", 11_689_512 / 8),
])
def test_weight_memory(builder, dtype, expected):
    assert cl.weight_memory(builder(), dtype) == pytest.approx(expected, rel=0, abs=0)


def test_alexnet_weights_are_243_9_MB():
    assert round(cl.weight_memory(cl.zoo.alexnet_original()) / 1e6, 1) == 243.9


# AlexNet (2012) feature maps, from the shapes of notebook 01 (Krizhevsky et al., NIPS 2012, with a 227x227 input):
# the input, conv1, lrn1, pool1, conv2, lrn2, pool2, conv3, conv4, conv5, pool3, fc1, fc2, fc3
# (the paper's two local response normalizations, section 3.3, store 96*55*55 + 256*27*27 = 477,024 more).
ALEXNET_KEPT = (3 * 227 * 227 + 96 * 55 * 55 + 96 * 55 * 55 + 96 * 27 * 27 + 256 * 27 * 27 + 256 * 27 * 27
                + 256 * 13 * 13 + 384 * 13 * 13 + 384 * 13 * 13 + 256 * 13 * 13 + 256 * 6 * 6 + 4096 + 4096 + 1000)


@pytest.mark.parametrize("batch_size", [1, 2, 7, 128])
@pytest.mark.parametrize("dtype", ["fp32", "fp16", "int8"])
def test_activation_memory_grows_linearly_with_batch(batch_size, dtype):
    got = cl.activation_memory(cl.zoo.alexnet_original(), batch_size, dtype)
    assert got == ALEXNET_KEPT * batch_size * cl.DTYPE_BYTES[dtype]


def _torch_alexnet_original():
    from torch import nn
    return nn.Sequential(
        nn.Conv2d(3, 96, 11, 4), nn.ReLU(inplace=True), nn.LocalResponseNorm(5, 1e-4, 0.75, 2.0), nn.MaxPool2d(3, 2),
        nn.Conv2d(96, 256, 5, padding=2, groups=2), nn.ReLU(inplace=True), nn.LocalResponseNorm(5, 1e-4, 0.75, 2.0),
        nn.MaxPool2d(3, 2),
        nn.Conv2d(256, 384, 3, padding=1), nn.ReLU(inplace=True),
        nn.Conv2d(384, 384, 3, padding=1, groups=2), nn.ReLU(inplace=True),
        nn.Conv2d(384, 256, 3, padding=1, groups=2), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2),
        nn.Flatten(), nn.Dropout(), nn.Linear(9216, 4096), nn.ReLU(inplace=True),
        nn.Dropout(), nn.Linear(4096, 4096), nn.ReLU(inplace=True), nn.Linear(4096, 1000))


@pytest.mark.torch
def test_activation_and_weight_memory_match_torch():
    torch = pytest.importorskip("torch")
    model = _torch_alexnet_original().eval()
    kept = []
    for module in model:
        if isinstance(module, (torch.nn.Conv2d, torch.nn.LocalResponseNorm, torch.nn.MaxPool2d, torch.nn.Linear)):
            module.register_forward_hook(lambda m, i, o: kept.append(o.numel()))
    x = torch.zeros(2, 3, 227, 227)
    with torch.no_grad():
        model(x)
    assert cl.activation_memory(cl.zoo.alexnet_original(), 2) == (x.numel() + sum(kept)) * 4
    weight_bytes = sum(p.numel() * p.element_size() for p in model.parameters())
    assert cl.weight_memory(cl.zoo.alexnet_original()) == weight_bytes


@pytest.mark.torch
@pytest.mark.parametrize("optimizer, make", [
    ("sgd", lambda torch, p: torch.optim.SGD(p, lr=0.1)),
    ("momentum", lambda torch, p: torch.optim.SGD(p, lr=0.1, momentum=0.9)),
    ("adam", lambda torch, p: torch.optim.Adam(p)),
])
def test_optimizer_states_match_torch(optimizer, make):
    """Count the state tensors torch.optim really keeps after one step (Adam's step counter aside)."""
    torch = pytest.importorskip("torch")
    model = torch.nn.Linear(5, 3)
    opt = make(torch, model.parameters())
    model(torch.ones(2, 5)).sum().backward()
    opt.step()
    n_params = sum(p.numel() for p in model.parameters())
    state = sum(v.numel() for s in opt.state.values() for k, v in s.items()
                if torch.is_tensor(v) and k != "step")
    assert state == cl.OPTIMIZER_STATES[optimizer] * n_params


@pytest.mark.parametrize("optimizer, states, grads", [("inference", 0, 0), ("sgd", 0, 1), ("momentum", 1, 1),
                                                       ("adam", 2, 1)])
@pytest.mark.parametrize("builder", [cl.zoo.alexnet_original, cl.zoo.resnet18])
def test_training_memory_parts_fp32(builder, optimizer, states, grads):
    net = builder()
    parts = cl.training_memory(net, 16, "fp32", optimizer)
    w = cl.weight_memory(net, "fp32")
    assert parts["weights"] == w
    assert parts["gradients"] == grads * w
    assert parts["optimizer_state"] == states * w
    kept = cl.inference_activation_elements(net) if optimizer == "inference" else cl.activation_elements(net)
    assert parts["activations"] == kept * 16 * 4
    assert parts["total"] == sum(v for k, v in parts.items() if k != "total")


# Mixed precision (Micikevicius et al. 2018; ZeRO, Rajbhandari et al. 2020, sec. 3.1): 2-byte weights and
# gradients, and an fp32 master copy (4 B) plus fp32 optimizer values (4 B each) per parameter.
# Bytes per parameter, by hand: inference 2; SGD 2+2+4 = 8; momentum 2+2+4+4 = 12; Adam 2+2+4+8 = 16.
@pytest.mark.parametrize("dtype", ["fp16", "bf16"])
@pytest.mark.parametrize("optimizer, per_param, state_per_param", [("inference", 2, 0), ("sgd", 8, 4),
                                                                   ("momentum", 12, 8), ("adam", 16, 12)])
def test_mixed_precision_training_keeps_fp32_master_weights_and_state(dtype, optimizer, per_param, state_per_param):
    net = cl.zoo.alexnet_original()
    parts = cl.training_memory(net, 16, dtype, optimizer)
    assert parts["optimizer_state"] == state_per_param * 60_965_224
    assert parts["total"] - parts["activations"] == per_param * 60_965_224
    kept = 580_800 if optimizer == "inference" else ALEXNET_KEPT       # inference: the live peak (below)
    assert parts["activations"] == kept * 16 * 2                         # only the activations halve
    assert parts["total"] == sum(v for k, v in parts.items() if k != "total")


def test_mixed_precision_adam_holds_as_many_bytes_per_parameter_as_fp32_adam():
    # ZeRO's figure: 16 bytes a parameter either way (fp32: 4 + 4 + 8; mixed: 2 + 2 + 12)
    net = cl.zoo.vgg16()
    fp32, fp16 = cl.training_memory(net, 64, "fp32", "adam"), cl.training_memory(net, 64, "fp16", "adam")
    assert fp32["total"] - fp32["activations"] == fp16["total"] - fp16["activations"] == 16 * 138_357_544
    assert fp16["activations"] * 2 == fp32["activations"]


@pytest.mark.parametrize("dtype", ["int8", "int4", "1-bit"])
def test_training_in_narrow_integer_formats_is_refused_inference_is_not(dtype):
    net = cl.zoo.alexnet_original()
    with pytest.raises(ValueError, match="dtype"):
        cl.training_memory(net, 1, dtype, "adam")
    parts = cl.training_memory(net, 1, dtype, "inference")
    assert parts["total"] == cl.weight_memory(net, dtype) + parts["activations"]


# Inference frees each activation once the next layer has read it: the peak alive at once, by hand.
# AlexNet (2012): input 3x227x227 = 154,587; conv1 writes 96x55x55 = 290,400 (input + output 444,987);
# relu1 in place; lrn1 reads 290,400 and writes 290,400 = 580,800, the largest pair; pool1 290,400 + 69,984.
def test_inference_keeps_only_the_live_peak_alexnet_by_hand():
    net = cl.zoo.alexnet_original()
    assert cl.inference_activation_elements(net) == 290_400 + 290_400
    assert cl.training_memory(net, 8, "fp32", "inference")["activations"] == 580_800 * 8 * 4


def test_inference_peak_holds_a_residual_blocks_input():
    # a 4x8x8 input (256 elements), one residual block: conv 4->4 3x3 pad 1 (256 out), ReLU in place,
    # conv 4->4 (256), add (256). Second conv: its input 256 + its output 256 + the block input 256 = 768.
    from course_lib.analysis import Network
    from course_lib.layers import Conv2d, ReLU, Residual
    block = Residual(body=(Conv2d(4, 3, padding=1), ReLU(), Conv2d(4, 3, padding=1)))
    net = Network("tiny residual", (4, 8, 8), (block,))
    assert cl.inference_activation_elements(net) == 768


# Activations in the weights' format, except weight-only schemes: int4 (GPTQ/AWQ) and 1-bit (BWN) keep fp16.
@pytest.mark.parametrize("dtype, act_bytes", [("fp32", 4), ("fp16", 2), ("int8", 1), ("int4", 2), ("1-bit", 2)])
def test_inference_activation_width(dtype, act_bytes):
    net = cl.zoo.vgg16()
    parts = cl.training_memory(net, 4096, dtype, "inference")
    assert parts["activations"] == 3_211_264 * 2 * 4096 * act_bytes   # VGG-16's conv1_2: 64x224x224 in and out
    # a separate width can be asked for; narrow activations are refused for training
    assert cl.training_memory(net, 1, "int4", "inference", activation_dtype="int4")["activations"] == 3_211_264


def test_training_refuses_narrow_activations():
    with pytest.raises(ValueError, match="activation_dtype"):
        cl.training_memory(cl.zoo.alexnet_original(), 1, "fp16", "adam", activation_dtype="int8")


def test_alexnet_adam_by_hand():
    # fp32 Adam: weights + gradients + 2 states = 4 copies of 60,965,224 x 4 bytes; batch 1 activations
    parts = cl.training_memory(cl.zoo.alexnet_original(), 1, "fp32", "adam")
    assert parts["total"] == 4 * 60_965_224 * 4 + ALEXNET_KEPT * 4


@pytest.mark.parametrize("model", list(cl.zoo.MODELS))
@pytest.mark.parametrize("device", cl.FIT_DEVICES)
def test_max_batch_size_is_the_edge_of_fitting(model, device):
    net = cl.zoo.MODELS[model]()
    capacity = cl.get_device(device).memory_bytes
    b = cl.max_batch_size(net, device, "fp32", "adam")
    if b > 0:
        assert cl.training_memory(net, b, "fp32", "adam")["total"] <= capacity
    assert cl.training_memory(net, b + 1, "fp32", "adam")["total"] > capacity


# GPU memory is sold in binary units: "3 GB" = 3 GiB = 3 x 2^30 bytes (nvidia-smi: 3,072 MiB), "141 GB" = 141 GiB
@pytest.mark.parametrize("device, capacity", [("GTX 580", 3 * 2 ** 30), ("GTX 1080", 8 * 2 ** 30),
                                              ("V100 SXM2 fp32", 32 * 2 ** 30), ("H200 SXM fp32", 141 * 2 ** 30)])
def test_fits_table(device, capacity):
    table = cl.fits(cl.zoo.vgg16(), 64, "fp32", "adam")
    row = table.set_index("device").loc[device]
    needed = cl.training_memory(cl.zoo.vgg16(), 64)["total"]
    assert row["capacity_bytes"] == capacity
    assert row["needed_bytes"] == needed
    assert bool(row["fits"]) == (needed <= capacity)
    assert row["used_share"] == pytest.approx(needed / capacity)


def test_vgg16_adam_batch_64_does_not_fit_a_gtx_580():
    # hand: 4 copies of 138,357,544 fp32 weights = 2.21 GB, plus 64 x ~15 M feature elements x 4 B > 3 GB
    table = cl.fits(cl.zoo.vgg16(), 64).set_index("device")
    assert not table.loc["GTX 580", "fits"] and table.loc["H200 SXM fp32", "fits"]


def test_memory_vs_batch_rows():
    table = cl.memory_vs_batch(cl.zoo.alexnet_original(), [1, 4, 16])
    assert list(table["batch_size"]) == [1, 4, 16]
    parts = ["weights", "gradients", "optimizer_state", "activations"]
    assert (table[parts].sum(axis=1) == table["total"]).all()
    assert (table["weights"] == table["weights"].iloc[0]).all()


@pytest.mark.parametrize("call, name", [
    (lambda: cl.activation_memory(cl.zoo.alexnet(), 0), "batch_size"),
    (lambda: cl.activation_memory(cl.zoo.alexnet(), 2.5), "batch_size"),
    (lambda: cl.training_memory(cl.zoo.alexnet(), 1, "fp32", "rmsprop"), "optimizer"),
    (lambda: cl.training_memory(cl.zoo.alexnet(), 1, "fp64"), "dtype"),
    (lambda: cl.weight_memory("alexnet"), "network"),
    (lambda: cl.max_batch_size(cl.zoo.alexnet(), "DDR4-2400 channel"), "memory"),
    (lambda: cl.fits(cl.zoo.alexnet(), devices=["no such gpu"]), "device"),
    (lambda: cl.memory_vs_batch(cl.zoo.alexnet(), 8), "batch_sizes"),
    (lambda: cl.memory_vs_batch(cl.zoo.alexnet(), []), "batch_sizes"),
])
def test_bad_input_names_the_parameter(call, name):
    with pytest.raises((ValueError, TypeError), match=name):
        call()


def test_a_plain_block_does_not_hold_its_input():
    """A conv-bn-relu Block joins nothing, so its input dies once conv has read it (a residual's would not)."""
    chain = cl.Block((cl.Conv2d(4, 3, padding=1, name="conv"), cl.BatchNorm2d(name="bn"), cl.ReLU(name="relu")), name="b")
    net = cl.Network("plain block", (3, 8, 8), (chain,))
    # conv: 3x8x8 in (192) + 4x8x8 out (256) = 448; bn: 256 in + 256 out = 512; relu in place: 256
    assert cl.inference_activation_elements(net) == 512
    residual = cl.Residual((cl.Conv2d(3, 3, padding=1, name="conv"), cl.BatchNorm2d(name="bn")), name="r")
    net = cl.Network("residual", (3, 8, 8), (residual,))
    # bn: 192 in + 192 out, and the block's 192-element input held for the add: 576
    assert cl.inference_activation_elements(net) == 576
