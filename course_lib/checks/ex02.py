"""Exercise 02, parameters and memory: content only (the checking machinery is ``_core``).

Every expected value is computed with course_lib; the notebook is solutions/02_parameters_and_memory.ipynb.
Each question states its precision: counts exactly, sizes and shares to the decimal places it names.
"""
from __future__ import annotations

from .. import zoo
from ..analysis import analyze
from ..counting import conv_params as _conv_params
from ..memory import max_batch_size, memory_vs_batch, training_memory, weight_memory
from ._core import ChoiceQuestion, FunctionQuestion, NumberQuestion, show_score

__all__ = ["QUESTIONS", "q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8", "score"]

_ALEXNET = zoo.alexnet_original()
_TABLE = analyze(_ALEXNET)

q1 = NumberQuestion(
    name="q1", var="conv2_params", points=2, unit="parameters", rel_tol=0,   # exactly
    expected=_conv_params(96, 256, 5, groups=2),
    mistakes={_conv_params(96, 256, 5): "that is conv2 without groups=2: on two GPUs each filter sees only "
                                        "the 48 input channels on its own GPU.",
              _conv_params(96, 256, 5, groups=2, bias=False): "weights only: add one bias per output channel."},
    hint_text="K*K*(C_in/groups)*C_out + C_out, with K=5, C_in=96 (pool1's channels), C_out=256, groups=2.",
    solution_text=f"`5*5*(96//2)*256 + 256` = {_conv_params(96, 256, 5, groups=2):,} (a single-GPU conv2 "
                  f"would have {_conv_params(96, 256, 5):,}).",
    example_wrong=614_656,
)


def _wrong_conv_params(in_channels, out_channels, kernel_size, groups=1):
    return kernel_size * kernel_size * in_channels * out_channels + out_channels   # ignores groups


q2 = FunctionQuestion(
    name="q2", var="conv_param_count", points=3,
    reference=lambda in_channels, out_channels, kernel_size, groups=1:
        _conv_params(in_channels, out_channels, kernel_size, groups),
    cases=[(3, 96, 11, 1), (96, 256, 5, 2), (384, 384, 3, 2), (32, 32, 3, 32), (64, 128, 1, 1), (1, 1, 1, 1),
           (144, 144, 3, 144), (12, 24, 7, 3)],
    hint_text="Each of the C_out filters has K*K*(C_in/groups) weights, and each filter has one bias. "
              "Use integer division `//` for C_in/groups.",
    solution_text="`return kernel_size * kernel_size * (in_channels // groups) * out_channels + out_channels`",
    example_wrong=_wrong_conv_params,
)

q3 = NumberQuestion(
    name="q3", var="alexnet_fp32_MB", points=2, unit="MB", decimals=1,   # 243.9, as the lesson prints it
    expected=weight_memory(_ALEXNET, "fp32") / 1e6,
    wrong_units={"bytes (1 MB = 10^6 bytes)": 1e6,
                 "megabits (there are 8 bits in a byte)": 8,
                 "MiB (2^20 bytes; the course's MB is 10^6 bytes)": 1e6 / 2 ** 20},
    mistakes={int(_TABLE["params"].sum()) / 1e6: "that is the number of parameters in millions: each fp32 value "
                                                 "takes 4 bytes.",
              round(weight_memory(_ALEXNET) / 1e6): "the lesson's 'about 244 MB' is rounded to a whole MB; "
                                                    "the question asks for 1 decimal place."},
    hint_text="Total parameters x 4 bytes (fp32), divided by 10^6.",
    solution_text="`cl.weight_memory(cl.zoo.alexnet_original(), 'fp32') / 1e6` = "
                  f"{int(_TABLE['params'].sum()):,} x 4 / 1e6 = {weight_memory(_ALEXNET) / 1e6:.1f} MB.",
    example_wrong=60.965224,
)

_fc = _TABLE.loc[_TABLE["kind"] == "Linear", "params"].sum() / _TABLE["params"].sum()
q4 = NumberQuestion(
    name="q4", var="fc_share_percent", points=2, unit="%", expected=100 * float(_fc),
    decimals=0,   # to the nearest whole percent: the recap's "about 96%" and the lesson's 96.2% both round right
    wrong_units={"fraction form (0 to 1; multiply by 100)": 0.01},
    mistakes={100 * float(1 - _fc): "that is the share of the conv layers."},
    hint_text="Sum `params` over the rows of `cl.analyze(...)` whose `kind` is 'Linear', divide by the total.",
    solution_text="`t = cl.analyze(cl.zoo.alexnet_original()); 100 * t.params[t.kind == 'Linear'].sum() / "
                  f"t.params.sum()` = {100 * float(_fc):.1f} %, which is {100 * float(_fc):.0f} % to the nearest whole percent.",
    example_wrong=100 * float(1 - _fc),
)

_VGG = zoo.vgg16()
q5 = NumberQuestion(
    name="q5", var="vgg16_int4_MB", points=2, unit="MB", expected=weight_memory(_VGG, "int4") / 1e6, decimals=1,
    wrong_units={"bytes (1 MB = 10^6 bytes)": 1e6},
    mistakes={weight_memory(_VGG, "fp32") / 1e6: "that is VGG-16 in fp32 (4 bytes a weight); int4 is half a byte.",
              weight_memory(_VGG, "int8") / 1e6: "that is VGG-16 in int8 (1 byte a weight); int4 is half a byte."},
    hint_text="int4 stores a weight in 4 bits = 0.5 bytes: `cl.bytes_per_element('int4')`.",
    solution_text="`cl.weight_memory(cl.zoo.vgg16(), 'int4') / 1e6` = "
                  f"{int(analyze(_VGG)['params'].sum()):,} x 0.5 / 1e6 = {weight_memory(_VGG, 'int4') / 1e6:.1f} MB.",
    example_wrong=weight_memory(_VGG, "int8") / 1e6,
)

_R50 = zoo.resnet50()
_r50 = training_memory(_R50, 32, "fp32", "adam")
q6 = NumberQuestion(
    name="q6", var="resnet50_train_GB", points=2, unit="GB", expected=_r50["total"] / 1e9, decimals=2,
    wrong_units={"bytes (1 GB = 10^9 bytes)": 1e9, "MB (1 GB = 1,000 MB)": 1e3,
                 "GiB (2^30 bytes; the course's GB is 10^9 bytes)": 1e9 / 2 ** 30},
    mistakes={
        (_r50["total"] - _r50["optimizer_state"]) / 1e9: "you left out Adam's two state values per weight.",
        (_r50["weights"] + _r50["activations"]) / 1e9: "that is weights + activations only: training adds a gradient per weight and Adam's two state values.",
        (_r50["total"] - _r50["activations"]) / 1e9: "you left out the activations of the batch.",
    },
    hint_text="weights + gradients + 2 Adam states (each as big as the weights) + activations for 32 samples: "
              "`cl.training_memory(...)`.",
    solution_text="`cl.training_memory(cl.zoo.resnet50(), 32, 'fp32', 'adam')['total'] / 1e9` = "
                  f"{_r50['total'] / 1e9:.2f} GB.",
    example_wrong=(_r50["weights"] + _r50["activations"]) / 1e9,
)

# q7 reads the plot of memory against batch size (AlexNet, fp32, Adam) with the GPUs as lines.
PLOT_BATCHES = tuple(2 ** i for i in range(13))
_limit = max_batch_size(_ALEXNET, "GTX 1080", "fp32", "adam")
_first_over = min(b for b in PLOT_BATCHES if b > _limit)
_options = (256, 512, 1024, 2048, 4096)
_letters = "abcde"
q7 = ChoiceQuestion(
    name="q7", var="first_batch_too_big", points=2,
    choices={letter: f"batch {b}" for letter, b in zip(_letters, _options)},
    expected=_letters[_options.index(_first_over)],
    explanations={letter: ("the total curve crosses the GTX 1080's 8 GiB line between "
                           f"{_first_over // 2} and {_first_over}" if b == _first_over else
                           ("at this batch the total is still under 8 GiB" if b < _first_over else
                            "a smaller batch already needs more than 8 GiB"))
                  for letter, b in zip(_letters, _options)},
    hint_text="Follow the black total line to where it crosses the dashed GTX 1080 line (8 GiB = 8.59 GB); "
              "read the next power of two.",
    solution_text=f"The largest batch that fits is {_limit:,} (`cl.max_batch_size(...)`), so the first power of two "
                  f"that does not fit is {_first_over:,}.",
    example_wrong="a",
)

q8 = ChoiceQuestion(
    name="q8", var="mistake_in_passage", points=2,
    choices={
        "a": "The bias should count K*K*C_out values, not C_out.",
        "b": "conv2 is split across two GPUs (groups=2): each filter sees only 48 of the 96 channels, so the "
             "count is wrong.",
        "c": "pool1 gives 256 channels, not 96.",
        "d": "Nothing: 614,656 is right.",
    },
    expected="b",
    explanations={
        "a": "each filter has one bias, so there are C_out biases",
        "b": "the 2012 paper's conv2, conv4 and conv5 connect only to the maps on their own GPU",
        "c": "conv1 has 96 filters and pooling keeps the channel count",
        "d": "right for a single-GPU conv2, not for the paper's two-GPU network",
    },
    hint_text="Which AlexNet layers only see the feature maps on their own GPU?",
    solution_text=f"(b): with groups=2 conv2 has about half the weights, {_conv_params(96, 256, 5, groups=2):,}.",
    example_wrong="d",
)

QUESTIONS = [q1, q2, q3, q4, q5, q6, q7, q8]


def score():
    """Each question's status and the total: the last cell of the exercise notebook."""
    show_score(QUESTIONS)
