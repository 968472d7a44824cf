"""The model zoo: classic CNNs and a vision transformer as ``Network`` objects (notebooks 01-06, 10).

Each builder follows torchvision's layer order and names (``layer1.0.conv1``,
``features.3``, ``inception3a.branch2.0.conv`` ...) so that a learner can match rows with
PyTorch's printout. Parameter counts equal torchvision's published ``num_params``, and
MACs its published ``_ops`` figure: the column its documentation calls "GFLOPS" is in fact
GMACs (ResNet-50: "4.09 GFLOPS" = 4,089,184,256 multiply-accumulates), as tests/test_zoo.py
checks for every model; MACs also equal PyTorch's FLOP counter / 2 on the PyTorch twin
(tests/test_torch_crosscheck.py).
"""
from __future__ import annotations

from .analysis import Network
from .blocks import Block, Concat, Gate
from .layers import (AdaptiveAvgPool2d, AvgPool2d, BatchNorm2d, Conv2d, ConvTranspose2d, Dropout, Flatten,
                     Hardsigmoid, Hardswish, Linear, LocalResponseNorm, MaxPool2d, ReLU, ReLU6, Residual, Sigmoid,
                     SiLU)
from .tokens import ClassToken, LayerNorm, PatchTokens, PositionEmbedding, SelectToken, transformer_encoder_layer

__all__ = ["alexnet_original", "alexnet", "vgg16", "resnet18", "resnet50", "mobilenet_v2", "googlenet",
           "squeezenet1_1", "densenet121", "efficientnet_b0", "mobilenet_v3_large", "vit_b_16", "unet", "MODELS"]


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
        Linear(4096), ReLU(), Dropout(),      # "dropout in the first two fully-connected layers" (section 4.2):
        Linear(4096), ReLU(), Dropout(),      # on their outputs, as in cuda-convnet and Caffe's reference model
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


def _basic_conv(name, out_channels, kernel_size, **kw):
    """GoogLeNet's BasicConv2d: conv (no bias), BatchNorm, ReLU, as a Block ``name.conv``, ``name.bn``."""
    return Block((Conv2d(out_channels, kernel_size, bias=False, name="conv", **kw), BatchNorm2d(name="bn"),
                  ReLU(name="relu")), name=name)


def _inception(name, ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, pool_proj):
    return Concat((
        (_basic_conv("0", ch1x1, 1),),
        (_basic_conv("0", ch3x3red, 1), _basic_conv("1", ch3x3, 3, padding=1)),
        # torchvision's "5x5" branch uses a 3x3 kernel (a known slip kept for its weights)
        (_basic_conv("0", ch5x5red, 1), _basic_conv("1", ch5x5, 3, padding=1)),
        (MaxPool2d(3, 1, padding=1, ceil_mode=True, name="0"), _basic_conv("1", pool_proj, 1)),
    ), name=name)


def googlenet(num_classes: int = 1000) -> Network:
    """GoogLeNet / Inception v1 (Szegedy et al., 2014), torchvision layout without the auxiliary
    classifiers (dropped at inference): 6,624,904 parameters, 1.498 GMACs (torchvision "1.50 GFLOPS").

    Nine Inception blocks: four branches (1x1 | 1x1 -> 3x3 | 1x1 -> 3x3 | pool -> 1x1) concatenated.
    """
    pool = dict(kernel_size=3, stride=2, ceil_mode=True)
    return Network("GoogLeNet", (3, 224, 224), (
        _basic_conv("conv1", 64, 7, stride=2, padding=3), MaxPool2d(**pool, name="maxpool1"),
        _basic_conv("conv2", 64, 1), _basic_conv("conv3", 192, 3, padding=1), MaxPool2d(**pool, name="maxpool2"),
        _inception("inception3a", 64, 96, 128, 16, 32, 32), _inception("inception3b", 128, 128, 192, 32, 96, 64),
        MaxPool2d(**pool, name="maxpool3"),
        _inception("inception4a", 192, 96, 208, 16, 48, 64), _inception("inception4b", 160, 112, 224, 24, 64, 64),
        _inception("inception4c", 128, 128, 256, 24, 64, 64), _inception("inception4d", 112, 144, 288, 32, 64, 64),
        _inception("inception4e", 256, 160, 320, 32, 128, 128),
        MaxPool2d(2, 2, ceil_mode=True, name="maxpool4"),
        _inception("inception5a", 256, 160, 320, 32, 128, 128), _inception("inception5b", 384, 192, 384, 48, 128, 128),
        AdaptiveAvgPool2d(1, name="avgpool"), Flatten(name="flatten"), Dropout(name="dropout"),
        Linear(num_classes, name="fc"),
    ))


def _fire(name, squeeze, expand1x1, expand3x3):
    return Block((
        Conv2d(squeeze, 1, name="squeeze"), ReLU(name="squeeze_activation"),
        Concat(((Conv2d(expand1x1, 1, name="expand1x1"), ReLU(name="expand1x1_activation")),
                (Conv2d(expand3x3, 3, padding=1, name="expand3x3"), ReLU(name="expand3x3_activation"))),
               name="expand"),
    ), name=name)


def squeezenet1_1(num_classes: int = 1000) -> Network:
    """SqueezeNet 1.1 (Iandola et al., 2016; torchvision): 1,235,496 parameters, 0.349 GMACs.

    Fire modules: a 1x1 "squeeze" conv, then 1x1 and 3x3 "expand" convs concatenated.
    """
    pool = dict(kernel_size=3, stride=2, ceil_mode=True)
    return Network("SqueezeNet 1.1", (3, 224, 224), (
        Conv2d(64, 3, stride=2, name="features.0"), ReLU(name="features.1"), MaxPool2d(**pool, name="features.2"),
        _fire("features.3", 16, 64, 64), _fire("features.4", 16, 64, 64), MaxPool2d(**pool, name="features.5"),
        _fire("features.6", 32, 128, 128), _fire("features.7", 32, 128, 128), MaxPool2d(**pool, name="features.8"),
        _fire("features.9", 48, 192, 192), _fire("features.10", 48, 192, 192),
        _fire("features.11", 64, 256, 256), _fire("features.12", 64, 256, 256),
        Dropout(name="classifier.0"), Conv2d(num_classes, 1, name="classifier.1"), ReLU(name="classifier.2"),
        AdaptiveAvgPool2d(1, name="classifier.3"), Flatten(name="flatten"),
    ))


def densenet121(num_classes: int = 1000) -> Network:
    """DenseNet-121 (Huang et al., 2017; torchvision): 7,978,856 parameters, 2.834 GMACs.

    Each dense layer (BN, ReLU, 1x1 conv to 4x32, BN, ReLU, 3x3 conv to 32) concatenates its 32
    new channels to everything before it: ``Concat(..., keep_input=True)``.
    """
    growth, bn_size = 32, 4
    layers = [Conv2d(64, 7, stride=2, padding=3, bias=False, name="features.conv0"), BatchNorm2d(name="features.norm0"),
              ReLU(name="features.relu0"), MaxPool2d(3, 2, padding=1, name="features.pool0")]
    channels = 64
    for b, repeats in enumerate((6, 12, 24, 16), start=1):
        dense = []
        for i in range(1, repeats + 1):
            dense.append(Concat(((
                BatchNorm2d(name="norm1"), ReLU(name="relu1"), Conv2d(bn_size * growth, 1, bias=False, name="conv1"),
                BatchNorm2d(name="norm2"), ReLU(name="relu2"), Conv2d(growth, 3, padding=1, bias=False, name="conv2"),
            ),), keep_input=True, name=f"denselayer{i}"))
            channels += growth
        layers.append(Block(tuple(dense), name=f"features.denseblock{b}"))
        if b < 4:
            channels //= 2
            layers.append(Block((BatchNorm2d(name="norm"), ReLU(name="relu"), Conv2d(channels, 1, bias=False, name="conv"),
                                 AvgPool2d(2, 2, name="pool")), name=f"features.transition{b}"))
    layers += [BatchNorm2d(name="features.norm5"), ReLU(name="relu"), AdaptiveAvgPool2d(1, name="avgpool"),
               Flatten(name="flatten"), Linear(num_classes, name="classifier")]
    return Network("DenseNet-121", (3, 224, 224), tuple(layers))


def _conv_bn_act(name, out_channels, kernel_size, activation, stride=1, groups=1):
    """torchvision's Conv2dNormActivation: conv (no bias), BatchNorm, activation: ``name.0``, ``name.1``, ``name.2``."""
    layers = (Conv2d(out_channels, kernel_size, stride=stride, padding=(kernel_size - 1) // 2, groups=groups,
                     bias=False, name="0"), BatchNorm2d(name="1"))
    return Block(layers + ((activation(name="2"),) if activation else ()), name=name)


def _squeeze_excitation(name, squeeze, channels, activation, scale_activation):
    """x * scale_activation(fc2(activation(fc1(avgpool(x))))), torchvision's SqueezeExcitation (Hu et al. 2018)."""
    return Gate((AdaptiveAvgPool2d(1, name="avgpool"), Conv2d(squeeze, 1, name="fc1"), activation(name="activation"),
                 Conv2d(channels, 1, name="fc2"), scale_activation(name="scale_activation")), name=name)


def _mbconv(name, in_channels, out_channels, expand_ratio, kernel_size, stride):
    expanded = in_channels * expand_ratio
    block = []
    if expanded != in_channels:
        block.append(_conv_bn_act(str(len(block)), expanded, 1, SiLU))
    block.append(_conv_bn_act(str(len(block)), expanded, kernel_size, SiLU, stride=stride, groups=expanded))
    block.append(_squeeze_excitation(str(len(block)), max(1, in_channels // 4), expanded, SiLU, Sigmoid))
    block.append(_conv_bn_act(str(len(block)), out_channels, 1, None))
    if stride == 1 and in_channels == out_channels:  # stochastic depth: free at inference
        return Residual((Block(tuple(block), name="block"),), name=name)
    return Block((Block(tuple(block), name="block"),), name=name)


def efficientnet_b0(num_classes: int = 1000) -> Network:
    """EfficientNet-B0 (Tan & Le, 2019; torchvision): 5,288,548 parameters, 0.386 GMACs.

    MBConv blocks: 1x1 expand, depthwise conv, squeeze-and-excitation gate, 1x1 project; SiLU.
    """
    # expand_ratio, kernel, stride, in, out, repeats (torchvision's _efficientnet_conf for B0)
    stages = ((1, 3, 1, 32, 16, 1), (6, 3, 2, 16, 24, 2), (6, 5, 2, 24, 40, 2), (6, 3, 2, 40, 80, 3),
              (6, 5, 1, 80, 112, 3), (6, 5, 2, 112, 192, 4), (6, 3, 1, 192, 320, 1))
    layers = [_conv_bn_act("features.0", 32, 3, SiLU, stride=2)]
    for s, (expand, kernel, stride, c_in, c_out, repeats) in enumerate(stages, start=1):
        for i in range(repeats):
            layers.append(_mbconv(f"features.{s}.{i}", c_in if i == 0 else c_out, c_out, expand, kernel,
                                  stride if i == 0 else 1))
    layers += [_conv_bn_act("features.8", 1280, 1, SiLU), AdaptiveAvgPool2d(1, name="avgpool"),
               Flatten(name="flatten"), Dropout(name="classifier.0"), Linear(num_classes, name="classifier.1")]
    return Network("EfficientNet-B0", (3, 224, 224), tuple(layers))


def _make_divisible(value, divisor=8):
    """torchvision's rounding of channel counts to a multiple of 8, never more than 10% down."""
    new = max(divisor, int(value + divisor / 2) // divisor * divisor)
    return new + divisor if new < 0.9 * value else new


def mobilenet_v3_large(num_classes: int = 1000) -> Network:
    """MobileNetV3-Large (Howard et al., 2019; torchvision): 5,483,032 parameters, 0.217 GMACs.

    Inverted residuals with Hardswish ("HS") or ReLU ("RE"), some with a squeeze-and-excitation
    gate whose scale is a Hardsigmoid.
    """
    # in, kernel, expanded, out, SE, activation, stride (torchvision's _mobilenet_v3_conf)
    settings = ((16, 3, 16, 16, False, "RE", 1), (16, 3, 64, 24, False, "RE", 2), (24, 3, 72, 24, False, "RE", 1),
                (24, 5, 72, 40, True, "RE", 2), (40, 5, 120, 40, True, "RE", 1), (40, 5, 120, 40, True, "RE", 1),
                (40, 3, 240, 80, False, "HS", 2), (80, 3, 200, 80, False, "HS", 1), (80, 3, 184, 80, False, "HS", 1),
                (80, 3, 184, 80, False, "HS", 1), (80, 3, 480, 112, True, "HS", 1), (112, 3, 672, 112, True, "HS", 1),
                (112, 5, 672, 160, True, "HS", 2), (160, 5, 960, 160, True, "HS", 1),
                (160, 5, 960, 160, True, "HS", 1))
    layers = [_conv_bn_act("features.0", 16, 3, Hardswish, stride=2)]
    for index, (c_in, kernel, expanded, c_out, se, act, stride) in enumerate(settings, start=1):
        activation = Hardswish if act == "HS" else ReLU
        block = []
        if expanded != c_in:
            block.append(_conv_bn_act(str(len(block)), expanded, 1, activation))
        block.append(_conv_bn_act(str(len(block)), expanded, kernel, activation, stride=stride, groups=expanded))
        if se:
            block.append(_squeeze_excitation(str(len(block)), _make_divisible(expanded // 4), expanded, ReLU,
                                             Hardsigmoid))
        block.append(_conv_bn_act(str(len(block)), c_out, 1, None))
        inner = Block(tuple(block), name="block")
        layers.append(Residual((inner,), name=f"features.{index}") if stride == 1 and c_in == c_out
                      else Block((inner,), name=f"features.{index}"))
    layers += [_conv_bn_act("features.16", 960, 1, Hardswish), AdaptiveAvgPool2d(1, name="avgpool"),
               Flatten(name="flatten"), Linear(1280, name="classifier.0"), Hardswish(name="classifier.1"),
               Dropout(name="classifier.2"), Linear(num_classes, name="classifier.3")]
    return Network("MobileNetV3-Large", (3, 224, 224), tuple(layers))


def vit_b_16(num_classes: int = 1000) -> Network:
    """ViT-B/16 (Dosovitskiy et al., 2020; torchvision): 86,567,656 parameters, 17.564 GMACs.

    A 16x16 stride-16 conv cuts the image into 196 patch tokens of 768 features; a class token and
    learned positions join them (197 tokens); 12 pre-norm encoder blocks (12 heads, MLP 3072,
    GELU); the class token's final LayerNorm goes to the head.
    """
    layers = [Conv2d(768, 16, stride=16, name="conv_proj"), PatchTokens(name="tokens"), ClassToken(name="class_token"),
              PositionEmbedding(name="encoder.pos_embedding"), Dropout(name="encoder.dropout")]
    layers += [transformer_encoder_layer(768, 12, 3072, name=f"encoder.layers.encoder_layer_{i}") for i in range(12)]
    layers += [LayerNorm(name="encoder.ln"), SelectToken(0, name="class_token_out"), Linear(num_classes, name="heads.head")]
    return Network("ViT-B/16", (3, 224, 224), tuple(layers))


def _double_conv(name, channels):
    return Block((Conv2d(channels, 3, padding=1, bias=False, name="conv1"), BatchNorm2d(name="bn1"), ReLU(name="relu1"),
                  Conv2d(channels, 3, padding=1, bias=False, name="conv2"), BatchNorm2d(name="bn2"),
                  ReLU(name="relu2")), name=name)


def _unet_level(level, depth, channels):
    """Pool into ``level``, two convs, then (above the bottom) the next level and the way back up."""
    layers = [MaxPool2d(2, name=f"down{level}.pool"), _double_conv(f"down{level}.convs", channels)]
    if level < depth:
        deeper = _unet_level(level + 1, depth, 2 * channels) + [ConvTranspose2d(channels, 2, stride=2,
                                                                                 name=f"up{level + 1}")]
        layers += [Concat((tuple(deeper),), keep_input=True, name=f"skip{level}"), _double_conv(f"up{level}.convs", channels)]
    return layers


def unet(in_channels: int = 3, num_classes: int = 2, base_channels: int = 16, depth: int = 4,
         size: int = 128) -> Network:
    """A small U-Net (Ronneberger et al., 2015) with padded 3x3 convs and BatchNorm: ``depth`` poolings,
    channels doubling from ``base_channels``, 2x2 stride-2 up-convolutions, and each level's features
    concatenated to the way back up (``Concat(..., keep_input=True)``). No published twin: tests
    check it against hand-worked counts and PyTorch.
    """
    deeper = _unet_level(1, depth, 2 * base_channels) + [ConvTranspose2d(base_channels, 2, stride=2, name="up1")]
    layers = (_double_conv("inc", base_channels), Concat((tuple(deeper),), keep_input=True, name="skip0"),
              _double_conv("up0.convs", base_channels), Conv2d(num_classes, 1, name="outc"))
    return Network(f"U-Net (depth {depth}, {base_channels} base channels)", (in_channels, size, size), layers)


MODELS = {
    "alexnet_original": alexnet_original, "alexnet": alexnet, "vgg16": vgg16,
    "resnet18": resnet18, "resnet50": resnet50, "mobilenet_v2": mobilenet_v2,
    "googlenet": googlenet, "squeezenet1_1": squeezenet1_1, "densenet121": densenet121,
    "efficientnet_b0": efficientnet_b0, "mobilenet_v3_large": mobilenet_v3_large, "vit_b_16": vit_b_16,
    "unet": unet,
}
