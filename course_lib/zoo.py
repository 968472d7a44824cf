"""The model zoo: classic CNNs as ``Network`` objects, built from their papers (notebooks 01-06).

Each builder follows torchvision's layer order and names (``layer1.0.conv1``,
``features.3`` ...) so that a learner can match rows with PyTorch's printout.
Parameter counts equal torchvision's published ones (tests/test_zoo.py holds the
published figures); MACs equal PyTorch's FLOP counter / 2 (tests/test_torch_crosscheck.py).
"""
from __future__ import annotations

from .analysis import Network
from .layers import (AdaptiveAvgPool2d, BatchNorm2d, Conv2d, Dropout, Flatten, Linear, LocalResponseNorm,
                     MaxPool2d, ReLU, ReLU6, Residual)

__all__ = ["alexnet_original", "alexnet", "vgg16", "resnet18", "resnet50", "mobilenet_v2", "MODELS"]


def alexnet_original(num_classes: int = 1000) -> Network:
    """AlexNet as in Krizhevsky, Sutskever & Hinton (NIPS 2012): two GTX 580s, 227x227x3 input.

    conv2, conv4 and conv5 see only the half of the channels on their own GPU
    (``groups=2``); conv3 and the FC layers connect across both GPUs. Local response
    normalization follows the ReLUs of conv1 and conv2, before pooling (section 3.3:
    size 5, k=2, alpha=1e-4, beta=0.75): no weights and no MACs, but 477,024 more stored
    activations per image (96*55*55 + 256*27*27).
    60,965,224 parameters, 724,406,816 MACs.
    """
    lrn = dict(size=5, alpha=1e-4, beta=0.75, k=2.0)
    return Network("AlexNet (2012 paper, 2 GPUs)", (3, 227, 227), (
        Conv2d(96, 11, stride=4), ReLU(), LocalResponseNorm(**lrn), MaxPool2d(3, 2),
        Conv2d(256, 5, padding=2, groups=2), ReLU(), LocalResponseNorm(**lrn), MaxPool2d(3, 2),
        Conv2d(384, 3, padding=1), ReLU(),
        Conv2d(384, 3, padding=1, groups=2), ReLU(),
        Conv2d(256, 3, padding=1, groups=2), ReLU(), MaxPool2d(3, 2),
        Flatten(),
        Dropout(), Linear(4096), ReLU(),
        Dropout(), Linear(4096), ReLU(),
        Linear(num_classes),
    ))


def alexnet(num_classes: int = 1000) -> Network:
    """torchvision's single-GPU AlexNet variant (224 input, 64/192 channels, no groups): 61,100,840 parameters."""
    return Network("AlexNet (torchvision)", (3, 224, 224), (
        Conv2d(64, 11, stride=4, padding=2), ReLU(), MaxPool2d(3, 2),
        Conv2d(192, 5, padding=2), ReLU(), MaxPool2d(3, 2),
        Conv2d(384, 3, padding=1), ReLU(),
        Conv2d(256, 3, padding=1), ReLU(),
        Conv2d(256, 3, padding=1), ReLU(), MaxPool2d(3, 2),
        AdaptiveAvgPool2d(6), Flatten(),
        Dropout(), Linear(4096), ReLU(),
        Dropout(), Linear(4096), ReLU(),
        Linear(num_classes),
    ))


def vgg16(num_classes: int = 1000) -> Network:
    """VGG-16 (configuration D of Simonyan & Zisserman, 2014), torchvision layout: 138,357,544 parameters."""
    stages = ((64, 2), (128, 2), (256, 3), (512, 3), (512, 3))
    layers = []
    for stage, (channels, convs) in enumerate(stages, start=1):
        for i in range(1, convs + 1):
            layers += [Conv2d(channels, 3, padding=1, name=f"conv{stage}_{i}"), ReLU(name=f"relu{stage}_{i}")]
        layers.append(MaxPool2d(2, 2, name=f"pool{stage}"))
    layers += [
        AdaptiveAvgPool2d(7, name="avgpool"), Flatten(name="flatten"),
        Linear(4096, name="fc6"), ReLU(name="relu6"), Dropout(name="drop6"),
        Linear(4096, name="fc7"), ReLU(name="relu7"), Dropout(name="drop7"),
        Linear(num_classes, name="fc8"),
    ]
    return Network("VGG-16", (3, 224, 224), tuple(layers))


def _resnet_stem():
    return [Conv2d(64, 7, stride=2, padding=3, bias=False, name="conv1"), BatchNorm2d(name="bn1"),
            ReLU(name="relu"), MaxPool2d(3, 2, padding=1, name="maxpool")]


def _downsample(out_channels, stride):
    return (Conv2d(out_channels, 1, stride=stride, bias=False, name="conv"), BatchNorm2d(name="bn"))


def _basic_block(name, in_channels, channels, stride):
    body = (
        Conv2d(channels, 3, stride=stride, padding=1, bias=False, name="conv1"), BatchNorm2d(name="bn1"), ReLU(name="relu1"),
        Conv2d(channels, 3, padding=1, bias=False, name="conv2"), BatchNorm2d(name="bn2"),
    )
    shortcut = _downsample(channels, stride) if stride != 1 or in_channels != channels else ()
    return [Residual(body, shortcut, name=name), ReLU(name=f"{name}.relu_out")], channels


def _bottleneck(name, in_channels, channels, stride):
    out_channels = 4 * channels  # the bottleneck expands 4x on its last 1x1 conv
    body = (
        Conv2d(channels, 1, bias=False, name="conv1"), BatchNorm2d(name="bn1"), ReLU(name="relu1"),
        # torchvision's "ResNet v1.5": the stride sits on the 3x3 conv, not the first 1x1
        Conv2d(channels, 3, stride=stride, padding=1, bias=False, name="conv2"), BatchNorm2d(name="bn2"), ReLU(name="relu2"),
        Conv2d(out_channels, 1, bias=False, name="conv3"), BatchNorm2d(name="bn3"),
    )
    shortcut = _downsample(out_channels, stride) if stride != 1 or in_channels != out_channels else ()
    return [Residual(body, shortcut, name=name), ReLU(name=f"{name}.relu_out")], out_channels


def _resnet(title, block, blocks_per_stage, num_classes):
    layers, channels = _resnet_stem(), 64
    for stage, blocks in enumerate(blocks_per_stage, start=1):
        for i in range(blocks):
            stride = 2 if stage > 1 and i == 0 else 1
            new_layers, channels = block(f"layer{stage}.{i}", channels, 64 * 2 ** (stage - 1), stride)
            layers += new_layers
    layers += [AdaptiveAvgPool2d(1, name="avgpool"), Flatten(name="flatten"), Linear(num_classes, name="fc")]
    return Network(title, (3, 224, 224), tuple(layers))


def resnet18(num_classes: int = 1000) -> Network:
    """ResNet-18 (He et al., 2015), torchvision layout: 11,689,512 parameters."""
    return _resnet("ResNet-18", _basic_block, (2, 2, 2, 2), num_classes)


def resnet50(num_classes: int = 1000) -> Network:
    """ResNet-50 (He et al., 2015; torchvision's v1.5): 25,557,032 parameters, 4,089,184,256 MACs."""
    return _resnet("ResNet-50", _bottleneck, (3, 4, 6, 3), num_classes)


def _conv_bn_relu6(name, out_channels, kernel_size=3, stride=1, groups=1):
    return [Conv2d(out_channels, kernel_size, stride=stride, padding=(kernel_size - 1) // 2, groups=groups,
                   bias=False, name=f"{name}.conv"),
            BatchNorm2d(name=f"{name}.bn"), ReLU6(name=f"{name}.relu6")]


def _inverted_residual(name, in_channels, out_channels, stride, expand_ratio):
    hidden = in_channels * expand_ratio
    inner = []
    if expand_ratio != 1:
        inner += _conv_bn_relu6("expand", hidden, kernel_size=1)
    # depthwise: one 3x3 filter per channel (groups = channels)
    inner += _conv_bn_relu6("depthwise", hidden, stride=stride, groups=hidden)
    inner += [Conv2d(out_channels, 1, bias=False, name="project.conv"), BatchNorm2d(name="project.bn")]
    if stride == 1 and in_channels == out_channels:
        return [Residual(tuple(inner), name=name)]
    # no shortcut: name the layers as if the block were flat, so the block stays visible
    return [type(layer)(**{**layer.__dict__, "name": f"{name}.{layer.name}"}) for layer in inner]


def mobilenet_v2(num_classes: int = 1000) -> Network:
    """MobileNetV2 (Sandler et al., 2018), width 1.0, torchvision layout: 3,504,872 parameters."""
    settings = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1))
    layers = _conv_bn_relu6("features.0", 32, stride=2)
    channels, index = 32, 1
    for expand_ratio, out_channels, repeats, first_stride in settings:
        for i in range(repeats):
            stride = first_stride if i == 0 else 1
            layers += _inverted_residual(f"features.{index}", channels, out_channels, stride, expand_ratio)
            channels, index = out_channels, index + 1
    layers += _conv_bn_relu6(f"features.{index}", 1280, kernel_size=1)
    layers += [AdaptiveAvgPool2d(1, name="avgpool"), Flatten(name="flatten"), Dropout(name="dropout"),
               Linear(num_classes, name="classifier")]
    return Network("MobileNetV2", (3, 224, 224), tuple(layers))


MODELS = {
    "alexnet_original": alexnet_original, "alexnet": alexnet, "vgg16": vgg16,
    "resnet18": resnet18, "resnet50": resnet50, "mobilenet_v2": mobilenet_v2,
}
