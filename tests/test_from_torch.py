"""cl.from_torch: a torch.nn.Module becomes a Network (traced by torch.fx, no weights read).

Round trip: every zoo model's PyTorch twin comes back with identical rows; hand-written modules in
the style of torchvision (F.relu, `out += identity`, torch.flatten, x * sigmoid(...), torch.cat)
match PyTorch's own parameter count and FLOP counter; unsupported modules and functions are named.
"""
import pytest

import course_lib as cl

torch = pytest.importorskip("torch")
nn = torch.nn
F = torch.nn.functional
pytestmark = pytest.mark.torch

COLUMNS = ["kind", "in_shape", "out_shape", "params", "macs", "activations"]


@pytest.mark.parametrize("model", list(cl.zoo.MODELS))
def test_round_trip_analyzes_identically(model):
    from course_lib.torch_bridge import to_torch
    network = cl.zoo.MODELS[model]()
    back = cl.from_torch(to_torch(network, device="meta"), network.input_shape)
    ours, theirs = cl.analyze(network), cl.analyze(back)
    assert ours[COLUMNS].equals(theirs[COLUMNS])
    assert cl.op_counts(network).drop(columns="name").equals(cl.op_counts(back).drop(columns="name"))


class BasicBlock(nn.Module):
    """torchvision's ResNet BasicBlock, written the way torchvision writes it."""
    def __init__(self, c_in, c, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c)
        self.conv2 = nn.Conv2d(c, c, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(c)
        self.downsample = (nn.Sequential(nn.Conv2d(c_in, c, 1, stride, bias=False), nn.BatchNorm2d(c))
                           if stride != 1 or c_in != c else None)

    def forward(self, x):
        identity = x
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        out += identity
        return F.relu(out)


class Small(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 16, 3, padding=1)
        self.block1 = BasicBlock(16, 16, 1)
        self.block2 = BasicBlock(16, 32, 2)
        self.se_fc1 = nn.Conv2d(32, 8, 1)
        self.se_fc2 = nn.Conv2d(8, 32, 1)
        self.left = nn.Conv2d(32, 8, 1)
        self.right = nn.Sequential(nn.Conv2d(32, 4, 1), nn.ReLU(), nn.Conv2d(4, 12, 3, padding=1))
        self.fc = nn.Linear(20, 10)

    def forward(self, x):
        x = self.block2(self.block1(F.relu(self.stem(x))))
        x = x * torch.sigmoid(self.se_fc2(F.relu(self.se_fc1(F.adaptive_avg_pool2d(x, 1)))))
        x = torch.cat([self.left(x), self.right(x)], 1)
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def test_handwritten_module_against_torch():
    from torch.utils.flop_counter import FlopCounterMode
    module = Small().eval()
    network = cl.from_torch(module, (3, 16, 16))
    table = cl.analyze(network)
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        out = module(torch.zeros(1, 3, 16, 16))
    assert network.output_shape == tuple(out.shape[1:]) == (10,)
    assert table["params"].sum() == sum(p.numel() for p in module.parameters())
    assert table["macs"].sum() == counter.get_total_flops() // 2
    kinds = table["kind"].tolist()
    assert kinds.count("Add") == 2 and kinds.count("Mul") == 1 and kinds.count("Concat") == 1
    # blocks are named after the module whose forward holds the join (block1, block2); the joins of the
    # model's own forward keep torch.fx's names (mul, cat); F.relu called twice in one forward: relu#2
    assert table["name"].tolist() == [
        "stem", "relu", "block1.conv1", "block1.bn1", "block1.relu", "block1.conv2", "block1.bn2", "block1.add",
        "block1.relu#2", "block2.conv1", "block2.bn1", "block2.relu", "block2.conv2", "block2.bn2",
        "block2.shortcut.downsample.0", "block2.shortcut.downsample.1", "block2.add", "block2.relu#2",
        "mul.adaptive_avg_pool2d", "mul.se_fc1", "mul.relu#2", "mul.se_fc2", "mul.sigmoid", "mul.mul",
        "cat.branch1.left", "cat.branch2.right.0", "cat.branch2.right.1", "cat.branch2.right.2", "cat.concat",
        "adaptive_avg_pool2d#2", "flatten", "fc"]


def test_vit_style_attention_module():
    class Encoder(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln_1 = nn.LayerNorm(16)
            self.self_attention = nn.MultiheadAttention(16, 4, batch_first=True)
            self.mlp = nn.Sequential(nn.Linear(16, 32), nn.GELU(), nn.Linear(32, 16))

        def forward(self, x):
            y = self.ln_1(x)
            x = x + self.self_attention(y, y, y, need_weights=False)[0]
            return x + self.mlp(x)

    network = cl.from_torch(Encoder(), (10, 16))
    table = cl.analyze(network)
    assert table["params"].sum() == sum(p.numel() for p in Encoder().parameters())
    # by hand: attention 4*T*E^2 + 2*T^2*E, MLP 2*T*E*32
    assert table["macs"].sum() == 4 * 10 * 16 * 16 + 2 * 10 * 10 * 16 + 2 * 10 * 16 * 32


@pytest.mark.parametrize("make, shape, message", [
    (lambda: nn.Sequential(nn.Conv2d(3, 8, 3), nn.GRU(8, 8)), (3, 8, 8),
     r"module '1' \(nn.GRU\) is not supported: a recurrent layer"),
    (lambda: nn.Sequential(nn.Conv2d(3, 8, 3), nn.Sequential(nn.PReLU())), (3, 8, 8),
     r"module '1.0' \(nn.PReLU\) is not supported"),
    (lambda: _Sin(), (3, 8, 8), r"call_function 'sin' at graph node 'sin' \(in the model's own forward\) is not "
                                r"supported"),
    (lambda: nn.Sequential(nn.Conv2d(3, 8, 3)), (4, 8, 8),
     r"row '0' \(Conv2d\): the module has in_channels=3, but its input here is \(4, 8, 8\)"),
    (lambda: _CatBatch(), (3, 8, 8), r"torch.cat along dim=0"),
])
def test_unsupported_is_named(make, shape, message):
    with pytest.raises(ValueError, match=message):
        cl.from_torch(make(), shape)


class _Sin(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 3, 1)

    def forward(self, x):
        return torch.sin(self.conv(x))


class _CatBatch(nn.Module):
    def __init__(self):
        super().__init__()
        self.a, self.b = nn.Conv2d(3, 3, 1), nn.Conv2d(3, 3, 1)

    def forward(self, x):
        return torch.cat([self.a(x), self.b(x)], 0)


def test_bad_arguments():
    with pytest.raises(TypeError, match="module must be a torch.nn.Module"):
        cl.from_torch("resnet50", (3, 224, 224))
    with pytest.raises(TypeError, match="input_shape must be a per-sample shape"):
        cl.from_torch(nn.ReLU(), 224)


# ---- a fresh learner's own modules (issue 9): names, flattens, functional forms, clear errors ----

class _BasicConv(nn.Module):
    def __init__(self, c_in, c_out, k, p=0):
        super().__init__()
        self.conv = nn.Conv2d(c_in, c_out, k, padding=p, bias=False)
        self.bn = nn.BatchNorm2d(c_out)

    def forward(self, x):
        return F.relu(self.bn(self.conv(x)), inplace=True)


class _Inception(nn.Module):
    def __init__(self, c_in):
        super().__init__()
        self.branch1 = _BasicConv(c_in, 8, 1)
        self.branch2 = nn.Sequential(_BasicConv(c_in, 4, 1), _BasicConv(4, 8, 3, 1))

    def forward(self, x):
        return torch.cat([self.branch1(x), self.branch2(x)], 1)


class _SE(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.fc1, self.fc2 = nn.Conv2d(c, 4, 1), nn.Conv2d(4, c, 1)

    def forward(self, x):
        return x * torch.sigmoid(self.fc2(F.relu(self.fc1(F.adaptive_avg_pool2d(x, 1)))))


class _Res(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv1, self.relu, self.se = nn.Conv2d(c, c, 3, padding=1), nn.ReLU(), _SE(c)

    def forward(self, x):
        return self.relu(self.se(self.relu(self.conv1(x))) + x)   # one nn.ReLU, called twice


class _Learner(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem, self.inc1, self.res, self.fc = nn.Conv2d(3, 16, 3, padding=1), _Inception(16), _Res(16), \
            nn.Linear(16, 10)

    def forward(self, x):
        x = self.res(self.inc1(self.stem(x)))
        x = F.adaptive_avg_pool2d(x, 1)
        return self.fc(x.view(x.size(0), -1))


def test_blocks_are_named_after_the_module_holding_the_join():
    network = cl.from_torch(_Learner(), (3, 8, 8))
    table = cl.analyze(network)
    assert table["name"].tolist() == [
        "stem",
        "inc1.branch1.conv", "inc1.branch1.bn", "inc1.branch1.relu",
        "inc1.branch2.0.conv", "inc1.branch2.0.bn", "inc1.branch2.0.relu",
        "inc1.branch2.1.conv", "inc1.branch2.1.bn", "inc1.branch2.1.relu", "inc1.concat",
        "res.conv1", "res.relu",
        "res.se.adaptive_avg_pool2d", "res.se.fc1", "res.se.relu", "res.se.fc2", "res.se.sigmoid", "res.se.mul",
        "res.add", "res.relu#2",
        "adaptive_avg_pool2d", "view", "fc"]
    branches = cl.branch_costs(network, "inc1")
    # by hand: branch1 1x1 16->8 on 8x8 + BN(8); branch2 1x1 16->4 + BN(4), 3x3 4->8 + BN(8)
    assert branches["branch"].tolist() == ["branch1", "branch2"]
    assert branches["params"].tolist() == [16 * 8 + 16, 16 * 4 + 8 + 9 * 4 * 8 + 16]
    assert branches["macs"].tolist() == [64 * 16 * 8, 64 * (16 * 4 + 9 * 4 * 8)]


class _TwoCats(nn.Module):
    def __init__(self):
        super().__init__()
        self.a, self.b, self.c = nn.Conv2d(3, 4, 1), nn.Conv2d(3, 4, 1), nn.Conv2d(8, 2, 1)

    def forward(self, x):
        y = torch.cat([self.a(x), self.b(x)], 1)
        return torch.cat([y, self.c(y)], 1)


def test_two_joins_in_one_module_fall_back_to_the_fx_names():
    network = cl.from_torch(nn.Sequential(nn.Conv2d(3, 3, 1), _TwoCats()), (3, 4, 4))
    names = cl.analyze(network)["name"].tolist()
    assert names == ["0", "1.cat.branch1.a", "1.cat.branch2.b", "1.cat.concat", "1.cat_1.c", "1.cat_1.concat"]


class _Flat(nn.Module):
    def __init__(self, flatten):
        super().__init__()
        self.conv, self.fc, self.flatten = nn.Conv2d(3, 4, 3), nn.Linear(4, 2), flatten

    def forward(self, x):
        return self.fc(self.flatten(F.adaptive_avg_pool2d(self.conv(x), 1)))


FLATTENS = {
    "view(size(0), -1)": lambda x: x.view(x.size(0), -1),
    "reshape(shape[0], -1)": lambda x: x.reshape(x.shape[0], -1),
    "view(size()[0], -1)": lambda x: x.view(x.size()[0], -1),
    "torch.reshape": lambda x: torch.reshape(x, (x.shape[0], -1)),
    "view(-1, 4)": lambda x: x.view(-1, 4),
    "torch.flatten(x, 1)": lambda x: torch.flatten(x, 1),
    "x.flatten(1)": lambda x: x.flatten(1),
    "squeeze()": lambda x: x.squeeze(),
    "squeeze((2, 3))": lambda x: x.squeeze((2, 3)),
    "squeeze(-1).squeeze(-1)": lambda x: x.squeeze(-1).squeeze(-1),
    "squeeze(3).squeeze(2)": lambda x: torch.squeeze(x, 3).squeeze(2),
}


def _twin_rows(network):
    return cl.analyze(network)[COLUMNS], cl.op_counts(network).drop(columns="name")


@pytest.mark.parametrize("form", list(FLATTENS))
def test_flatten_forms_analyze_as_nn_flatten(form):
    twin = cl.from_torch(nn.Sequential(nn.Conv2d(3, 4, 3), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 2)),
                         (3, 8, 8))
    mine = cl.from_torch(_Flat(FLATTENS[form]), (3, 8, 8))
    ours, theirs = _twin_rows(mine), _twin_rows(twin)
    assert ours[0].equals(theirs[0]) and ours[1].equals(theirs[1])


@pytest.mark.parametrize("form, message", [
    (lambda x: x.view(x.size(0), 2, -1), r"call_method 'view' .*: view\(x, x.size\(0\), 2, -1\) is not supported; "
                                         r"from_torch reads a view or reshape only as a flatten"),
    (lambda x: x.reshape(-1), r"reshape\(x, -1\) is not supported"),
    (lambda x: x.view(-1, 5), r"row 'view' \(Flatten\): it asks for 5 features per sample, but its input "
                              r"\(4, 1, 1\) holds 4"),
    (lambda x: torch.flatten(x), r"flatten\(x\) would merge the batch"),
    (lambda x: x.squeeze(1), r"squeeze\(x, 1\) is not supported"),
    (lambda x: x.squeeze(-1).squeeze(1), r"squeeze\(x, -1\) is not supported"),
    (lambda x: F.avg_pool2d(x, x.size()[2:]), r"avg_pool2d\(x, .*\): a window read from the input's shape is not "
                                             r"supported; for a global pool write F.adaptive_avg_pool2d\(x, 1\)"),
])
def test_other_reshapes_are_named(form, message):
    with pytest.raises(ValueError, match=message):
        cl.from_torch(_Flat(form), (3, 8, 8))


def test_squeeze_of_a_map_that_is_not_pooled_is_refused():
    class Squeeze(nn.Module):
        def forward(self, x):
            return x.squeeze()
    with pytest.raises(ValueError, match=r"row 'squeeze' \(Flatten\): it squeezes a \(3, 8, 8\) input"):
        cl.from_torch(Squeeze(), (3, 8, 8))


class _Fn(nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.conv, self.fn = nn.Conv2d(3, 4, 3, padding=1), fn

    def forward(self, x):
        return self.fn(self.conv(x))


FUNCTIONAL = [   # (the call, its nn twin)
    (lambda x: F.max_pool2d(x, 3, 2, 1), [nn.MaxPool2d(3, 2, 1)]),
    (lambda x: F.max_pool2d(x, kernel_size=2), [nn.MaxPool2d(2)]),
    (lambda x: F.max_pool2d(x, 3, stride=2, ceil_mode=True), [nn.MaxPool2d(3, 2, ceil_mode=True)]),
    (lambda x: F.avg_pool2d(x, 2), [nn.AvgPool2d(2)]),
    (lambda x: F.avg_pool2d(x, 3, 1, padding=1), [nn.AvgPool2d(3, 1, 1)]),
    (lambda x: F.adaptive_avg_pool2d(x, (2, 2)), [nn.AdaptiveAvgPool2d(2)]),
    (lambda x: x.mean((2, 3)), [nn.AdaptiveAvgPool2d(1), nn.Flatten()]),
    (lambda x: x.mean([2, 3]), [nn.AdaptiveAvgPool2d(1), nn.Flatten()]),
    (lambda x: torch.mean(x, dim=(-2, -1)), [nn.AdaptiveAvgPool2d(1), nn.Flatten()]),
    (lambda x: x.mean((2, 3), keepdim=True), [nn.AdaptiveAvgPool2d(1)]),
    (lambda x: F.adaptive_avg_pool2d(x, 1).squeeze(), [nn.AdaptiveAvgPool2d(1), nn.Flatten()]),
    (lambda x: F.relu(x, inplace=True), [nn.ReLU()]),
    (lambda x: x.relu(), [nn.ReLU()]),
    (lambda x: F.gelu(x), [nn.GELU()]),
    (lambda x: F.silu(x), [nn.SiLU()]),
    (lambda x: torch.sigmoid(x), [nn.Sigmoid()]),
    (lambda x: torch.tanh(x), [nn.Tanh()]),
    (lambda x: F.relu6(x), [nn.ReLU6()]),
    (lambda x: F.hardswish(x), [nn.Hardswish()]),
]


@pytest.mark.parametrize("call, twin", FUNCTIONAL)
def test_functional_forms_analyze_as_their_nn_twins(call, twin):
    from torch.utils.flop_counter import FlopCounterMode
    module = _Fn(call)
    mine = cl.from_torch(module, (3, 9, 9))
    theirs = cl.from_torch(nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), *twin), (3, 9, 9))
    ours, reference = _twin_rows(mine), _twin_rows(theirs)
    assert ours[0].equals(reference[0]) and ours[1].equals(reference[1])
    with torch.no_grad():   # and the shape torch itself gives (batch 2: x.squeeze() squeezes a batch of 1 too)
        assert mine.output_shape == tuple(module(torch.zeros(2, 3, 9, 9)).shape[1:])


def test_mean_over_other_axes_is_named():
    with pytest.raises(ValueError, match=r"call_method 'mean' .*: mean\(x, 1\) is not supported; the mean from_torch "
                                         r"reads is the global average pool x.mean\(\(2, 3\)\)"):
        cl.from_torch(_Fn(lambda x: x.mean(1)), (3, 8, 8))


class _Recurrent(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed, self.lstm, self.head = nn.Linear(4, 8), nn.LSTM(8, 8, batch_first=True), nn.Linear(8, 2)

    def forward(self, x):
        out, _ = self.lstm(self.embed(x))
        return self.head(out[:, -1])


class _Branchy(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 3, 1)

    def forward(self, x):
        if x.sum() > 0:   # Python control flow on a tensor's value
            return self.conv(x)
        return x


@pytest.mark.parametrize("make, shape, message", [
    (_Recurrent, (5, 4), r"module 'lstm' \(nn.LSTM\) is not supported: a recurrent layer loops over its time steps"),
    (lambda: nn.LSTM(4, 8), (5, 4), r"the model itself \(nn.LSTM\) is not supported: a recurrent layer"),
    (lambda: nn.Sequential(nn.Conv1d(3, 4, 3)), (3, 8),
     r"module '0' \(nn.Conv1d\) is not supported: the course's layers are 2-D"),
    (lambda: nn.Conv1d(3, 4, 3), (3, 8),
     r"the model itself \(nn.Conv1d\) is not supported: the course's layers are 2-D"),
    (lambda: nn.Sequential(nn.Conv2d(3, 3, 1), _Branchy()), (3, 8, 8),
     r"module '1' \(_Branchy\): torch.fx cannot trace its forward \(symbolically traced variables cannot be used "
     r"as inputs to control flow\)"),
])
def test_untraceable_modules_are_named_with_the_reason(make, shape, message):
    with pytest.raises(ValueError, match=message) as error:
        cl.from_torch(make(), shape)
    assert type(error.value) is ValueError   # not torch.fx's TraceError leaking through


def test_a_model_that_is_one_layer():
    network = cl.from_torch(nn.Conv2d(3, 8, 3), (3, 8, 8))
    assert cl.analyze(network)["params"].sum() == 3 * 8 * 9 + 8


class _Bottleneck(nn.Module):
    """torchvision's ResNet Bottleneck: one nn.ReLU module called three times."""
    def __init__(self, c_in, c, stride=1):
        super().__init__()
        self.conv1, self.bn1 = nn.Conv2d(c_in, c, 1, bias=False), nn.BatchNorm2d(c)
        self.conv2, self.bn2 = nn.Conv2d(c, c, 3, stride, 1, bias=False), nn.BatchNorm2d(c)
        self.conv3, self.bn3 = nn.Conv2d(c, 4 * c, 1, bias=False), nn.BatchNorm2d(4 * c)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = nn.Sequential(nn.Conv2d(c_in, 4 * c, 1, stride, bias=False), nn.BatchNorm2d(4 * c))

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        out += self.downsample(x)
        return self.relu(out)


def test_a_module_called_three_times_gets_one_name_per_call():
    from torch.utils.flop_counter import FlopCounterMode
    module = nn.Sequential(nn.Conv2d(3, 16, 3), nn.Sequential(_Bottleneck(16, 8, 2), _Bottleneck(32, 8)))
    table = cl.analyze(cl.from_torch(module, (3, 16, 16)))
    assert table["name"].tolist()[:14] == [
        "0", "1.0.conv1", "1.0.bn1", "1.0.relu", "1.0.conv2", "1.0.bn2", "1.0.relu#2", "1.0.conv3", "1.0.bn3",
        "1.0.shortcut.downsample.0", "1.0.shortcut.downsample.1", "1.0.add", "1.0.relu#3", "1.1.conv1"]
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        module(torch.zeros(1, 3, 16, 16))
    assert table["params"].sum() == sum(p.numel() for p in module.parameters())
    assert table["macs"].sum() == counter.get_total_flops() // 2
