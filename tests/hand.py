"""Figures worked out by hand, shared by several test files; nothing here calls course_lib.

- The 2012 AlexNet (Krizhevsky, Sutskever, Hinton, NIPS 2012; 227x227 input, groups=2 on
  conv2/4/5), layer by layer, and the simple model of its time on a chip: each layer reads its
  input and weights once and writes its output once, and takes max(FLOPs / peak, bytes / bandwidth).
- Vendor figures of the chips, typed from their datasheets (the source is named on each line).
"""
from __future__ import annotations

# name, (input elements, params, output elements, MACs) per image; Flatten and Dropout move nothing
ALEXNET_LAYERS = {
    "conv1": (3 * 227 * 227, 11 * 11 * 3 * 96 + 96, 96 * 55 * 55, 55 * 55 * 96 * 3 * 11 * 11),
    "relu1": (96 * 55 * 55, 0, 96 * 55 * 55, 0),
    "lrn1": (96 * 55 * 55, 0, 96 * 55 * 55, 0),      # local response normalization (the paper's section 3.3)
    "pool1": (96 * 55 * 55, 0, 96 * 27 * 27, 0),
    "conv2": (96 * 27 * 27, 5 * 5 * 48 * 256 + 256, 256 * 27 * 27, 27 * 27 * 256 * 48 * 5 * 5),
    "relu2": (256 * 27 * 27, 0, 256 * 27 * 27, 0),
    "lrn2": (256 * 27 * 27, 0, 256 * 27 * 27, 0),
    "pool2": (256 * 27 * 27, 0, 256 * 13 * 13, 0),
    "conv3": (256 * 13 * 13, 3 * 3 * 256 * 384 + 384, 384 * 13 * 13, 13 * 13 * 384 * 256 * 3 * 3),
    "relu3": (384 * 13 * 13, 0, 384 * 13 * 13, 0),
    "conv4": (384 * 13 * 13, 3 * 3 * 192 * 384 + 384, 384 * 13 * 13, 13 * 13 * 384 * 192 * 3 * 3),
    "relu4": (384 * 13 * 13, 0, 384 * 13 * 13, 0),
    "conv5": (384 * 13 * 13, 3 * 3 * 192 * 256 + 256, 256 * 13 * 13, 13 * 13 * 256 * 192 * 3 * 3),
    "relu5": (256 * 13 * 13, 0, 256 * 13 * 13, 0),
    "pool3": (256 * 13 * 13, 0, 256 * 6 * 6, 0),
    "fc1": (9216, 9216 * 4096 + 4096, 4096, 9216 * 4096),
    "relu6": (4096, 0, 4096, 0),
    "fc2": (4096, 4096 * 4096 + 4096, 4096, 4096 * 4096),
    "relu7": (4096, 0, 4096, 0),
    "fc3": (4096, 4096 * 1000 + 1000, 1000, 4096 * 1000),
}
COMPUTE_LAYERS = [name for name, (_, _, _, macs) in ALEXNET_LAYERS.items() if macs]   # conv1 ... fc3
ALEXNET_PARAMS = sum(p for _, p, _, _ in ALEXNET_LAYERS.values())      # 60,965,224
ALEXNET_MACS = sum(m for _, _, _, m in ALEXNET_LAYERS.values())        # 724,406,816
ALEXNET_BIASES = 96 + 256 + 384 + 384 + 256 + 4096 + 4096 + 1000       # 10,568


def layer_bytes(name, batch=1, bytes_per_element=4, weight_bytes=None):
    """Bytes a layer moves: (input + output) x batch activations, and its params once."""
    inputs, params, outputs, _ = ALEXNET_LAYERS[name]
    weight_bytes = bytes_per_element if weight_bytes is None else weight_bytes
    return (inputs + outputs) * batch * bytes_per_element + params * weight_bytes


def intensity(name, batch=1, bytes_per_element=4):
    """FLOPs per byte moved: 2 x MACs x batch over the layer's bytes."""
    return 2 * ALEXNET_LAYERS[name][3] * batch / layer_bytes(name, batch, bytes_per_element)


def memory_bound(peak, bandwidth, batch=1, bytes_per_element=4):
    """The compute layers whose intensity is below the ridge point peak / bandwidth, in order."""
    return [n for n in COMPUTE_LAYERS if intensity(n, batch, bytes_per_element) < peak / bandwidth]


def alexnet_time_s(peak, bandwidth, batch=1, bytes_per_element=4, weight_bytes=None):
    """Sum over the layers of max(2 x MACs x batch / peak, bytes / bandwidth)."""
    return sum(max(2 * macs * batch / peak, layer_bytes(name, batch, bytes_per_element, weight_bytes) / bandwidth)
               for name, (_, _, _, macs) in ALEXNET_LAYERS.items())


# Chips: (peak FLOP/s (or op/s) in the precision named, memory bandwidth B/s), from each vendor's page.
DATASHEETS = {
    "GTX 580": (512 * 1544e6 * 2, 192.4e9),          # NVIDIA GTX 580 specifications: 512 cores x 1544 MHz x 2
    "GTX 1080": (8.873e12, 320e9),                   # NVIDIA GTX 1080 specifications: 8,873 GFLOPS boost, 320 GB/s
    "V100 SXM2 fp32": (15.7e12, 900e9),              # NVIDIA Tesla V100 datasheet (SXM2)
    "V100 SXM2 fp16 tensor": (125e12, 900e9),        # NVIDIA Tesla V100 datasheet: 125 TFLOP/s tensor
    "120 TFLOP/s example": (120e12, 900e9),          # "深度学习的最大短板原来是它!" (Huashang Daily, 2019): "V100的120TFLOPs"
    "A100 SXM 80GB fp32": (19.5e12, 2039e9),         # NVIDIA A100 datasheet (80GB SXM)
    "A100 SXM 80GB tf32": (156e12, 2039e9),          # dense (312 with sparsity)
    "A100 SXM 80GB bf16": (312e12, 2039e9),
    "A100 SXM 80GB int8": (624e12, 2039e9),
    "H100 SXM fp32": (67e12, 3.35e12),               # NVIDIA H100 datasheet (SXM)
    "H100 SXM bf16": (1979e12 / 2, 3.35e12),         # 1,979 "with sparsity", half of it dense
    "H100 SXM fp8": (3958e12 / 2, 3.35e12),
    "H200 SXM fp32": (67e12, 4.8e12),                # NVIDIA H200 datasheet
    "H200 SXM bf16": (1979e12 / 2, 4.8e12),
    "H200 SXM fp8": (3958e12 / 2, 4.8e12),
    "RTX 4090 fp32": (82.6e12, 1008e9),              # NVIDIA Ada Lovelace architecture whitepaper
    "RTX 4090 fp16 tensor": (165.2e12, 1008e9),
    "Jetson AGX Orin 64GB int8": (275e12 / 2, 204.8e9),   # NVIDIA Jetson AGX Orin datasheet: 275 TOPS sparse
    "TPU v1": (92e12, 34e9),                         # Jouppi et al., ISCA 2017
    "TPU v4": (275e12, 1200e9),                      # Google Cloud TPU v4 documentation
    "Xeon E5345 (seeds)": (75e9, 10e9),              # a blog post on BDTC 2017 rounds the roofline paper's figures
    "Xeon E5345 (sustained)": (74.7e9, 11.1e9),       # Williams, Waterman, Patterson, CACM 52(4), 2009
}
