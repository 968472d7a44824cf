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
    names = table["name"].tolist()
    assert any(n.endswith("block2.downsample.0") for n in names)   # the module's own path, inside its block


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
    (lambda: nn.Sequential(nn.Conv2d(3, 8, 3), nn.GRU(8, 8)), (3, 8, 8), r"module '1' \(GRU\) is not supported"),
    (lambda: nn.Sequential(nn.Conv2d(3, 8, 3), nn.Sequential(nn.PReLU())), (3, 8, 8),
     r"module '1.0' \(PReLU\) is not supported"),
    (lambda: _Sin(), (3, 8, 8), r"call_function 'sin' at graph node 'sin' is not supported"),
    (lambda: nn.Sequential(nn.Conv2d(3, 8, 3)), (4, 8, 8),
     r"module '0' \(Conv2d\) has in_channels=3, but its input here is \(4, 8, 8\)"),
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
