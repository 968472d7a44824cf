"""Exercise 09 (what training costs): content only.

Every expected value is computed with ``course_lib``; the checking machinery is ``_core``.
Each number question states its precision (``decimals`` or ``significant``) in its text.
"""
from __future__ import annotations

import course_lib as cl

from ._core import ChoiceQuestion, FunctionQuestion, NumberQuestion, show_score

__all__ = ["QUESTIONS", "q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8", "PASSAGE", "Q6_TOKENS", "score"]

A100 = "A100 SXM 80GB bf16"
_GB = 1e9
_DAY = 86_400

# q1: AlexNet's FC7 (4096 -> 4096) on a batch of 128
_FC7 = cl.linear_backward_macs(4096, 4096, 128)

q1 = NumberQuestion(
    name="q1", var="fc7_backward_macs", points=1, expected=_FC7["backward"], unit="MACs", decimals=0,
    wrong_units={"FLOPs, not MACs": 2},
    mistakes={_FC7["forward"]: "that is one matrix product, the size of the forward pass: the backward pass does "
                               "two, dX = dY W and dW = dY^T X.",
              _FC7["forward"] * 3: "that is forward + backward: the question asks for the backward pass alone.",
              _FC7["backward"] // 128: "that is one image: the batch holds 128."},
    hint_text="Two matrix products, each the size of the forward one: dX = dY W (128 x 4096 times 4096 x 4096) "
              "and dW = dY^T X (4096 x 128 times 128 x 4096).",
    solution_text=f"2 x 128 x 4096 x 4096 = {_FC7['backward']:,} MACs (twice the forward pass's {_FC7['forward']:,}).",
    example_wrong=_FC7["forward"],
)

# q2: Llama-2-7B on 2.0 T tokens, 6ND
_N7 = cl.transformer_param_count(cl.LLAMA2_7B)
_C7 = cl.transformer_training_flops(_N7, 2.0e12)

q2 = NumberQuestion(
    name="q2", var="llama7b_training_flops", points=2, expected=_C7, unit="FLOPs", significant=3,
    wrong_units={"MACs, not FLOPs": 0.5},
    mistakes={_C7 / 3: "that is 2ND, the forward pass alone: training adds the backward pass, 4ND more.",
              6 * 7e9 * 2e12: "that uses 7 billion, the name: Llama-2-7B has 6,738,415,616 parameters.",
              _C7 * 2 / 3: "that is 4ND, the backward pass alone: add the forward pass's 2ND."},
    hint_text="6 FLOPs per parameter per token: 2 forward, 4 backward. N = 6,738,415,616 (notebook 08), D = 2.0e12.",
    solution_text=f"6 x 6,738,415,616 x 2.0e12 = {_C7:.3e} FLOPs.",
    example_wrong=_C7 / 3,
)


def _days_reference(total_flops, n_devices, peak_flops, mfu):
    return cl.training_time_s(total_flops, peak_flops, n_devices, mfu) / _DAY


def _days_without_mfu(total_flops, n_devices, peak_flops, mfu):
    return total_flops / (n_devices * peak_flops) / _DAY


q3 = FunctionQuestion(
    name="q3", var="days_to_train", points=2, reference=_days_reference, rel_tol=1e-9,
    cases=[(4.69e17, 2, 1.581e12, 0.31), (8.09e22, 1024, 312e12, 0.4), (3.14e23, 10_000, 125e12, 0.2),
           (1e20, 1, 989.5e12, 1.0), (2.5e24, 6144, 275e12, 0.462), (1e18, 8, 19.5e12, 0.05)],
    hint_text="Seconds = total FLOPs / (devices x peak x MFU); a day is 86,400 seconds.",
    solution_text="return total_flops / (n_devices * peak_flops * mfu) / 86400",
    example_wrong=_days_without_mfu,
)

# q4: MFU implied by Llama 2 70B's GPU-hours (Touvron et al. 2023, Table 2)
_N70 = cl.transformer_param_count(cl.LLAMA2_70B)
_MFU70 = cl.mfu_from_device_hours(6 * _N70 * 2.0e12, 1_720_320, A100) * 100

q4 = NumberQuestion(
    name="q4", var="llama70b_mfu_percent", points=2, expected=_MFU70, unit="%", decimals=1,
    wrong_units={"a fraction, not a percentage": 0.01},
    mistakes={round(_MFU70 / 3, 1): "that counts 2ND, the forward pass only: training is 6ND.",
              round(_MFU70 / 2, 1): "that divides by the A100's 624 TFLOP/s 'with sparsity': the dense bf16 peak is 312.",
              round(_MFU70 * 70e9 / _N70, 1): "that uses 70 billion, the name: count the parameters "
                                              "(cl.transformer_param_count(cl.LLAMA2_70B))."},
    hint_text="MFU = 6 N D / (GPU-hours x 3600 x 312e12). N = cl.transformer_param_count(cl.LLAMA2_70B), D = 2.0e12.",
    solution_text=f"6 x {_N70:,} x 2.0e12 / (1,720,320 x 3600 x 312e12) = {_MFU70:.1f}%.",
    example_wrong=round(_MFU70 / 3, 1),
)

# q5: ring all-reduce of Llama-2-7B's bf16 gradients on 8 GPUs
_SENT = cl.ring_allreduce_bytes(_N7 * 2, 8) / _GB

q5 = NumberQuestion(
    name="q5", var="allreduce_gb", points=2, expected=_SENT, unit="GB", decimals=2,
    wrong_units={"bytes, not GB": _GB, "GiB, not GB": _GB / 2 ** 30},
    mistakes={round(_N7 * 2 / _GB, 2): "that is the gradients once: a ring all-reduce sends 2 (n-1)/n of them, "
                                       "a reduce-scatter then an all-gather.",
              round(_N7 * 4 / _GB, 2): "that is 2 x the gradients: the factor is 2 (n - 1) / n, 1.75 for 8 GPUs.",
              round(_SENT * 2, 2): "that counts 4-byte (fp32) gradients: the question says bf16, 2 bytes."},
    hint_text="Gradient bytes = parameters x 2 (bf16). Each GPU sends 2 (n - 1) / n of them; n = 8.",
    solution_text=f"2 x 7/8 x 6,738,415,616 x 2 B = {_SENT:.2f} GB.",
    example_wrong=round(_N7 * 2 / _GB, 2),
)

# q6: read the plot: which links leave the step communication bound at two sequences (8,192 tokens) per GPU?
Q6_TOKENS = 8192
_STEPS = {name: cl.data_parallel_step(flops_per_example=6 * _N7, batch_per_device=Q6_TOKENS, params=_N7, n_devices=8,
                                      device=A100, link=name, mfu=0.4)
          for name in cl.interconnects()["name"]}
_BOUND = sorted(name for name, step in _STEPS.items() if step["bound"] == "communication")

q6 = ChoiceQuestion(
    name="q6", var="plot_answer", points=1, expected="d",
    choices={"a": "Only PCIe 3.0 x16.",
             "b": "PCIe 3.0 x16, PCIe 4.0 x16 and InfiniBand HDR.",
             "c": "Every link but the two NVLinks.",
             "d": "None: compute bounds the step on every link."},
    explanations={"a": "That was the notebook's step, at one 4,096-token sequence per GPU. Here each GPU computes "
                       "twice as long; compare the bar lengths again.",
                  "b": "Their red bars are the longest, but each is shorter than the blue bar.",
                  "c": "PCIe 5.0 and InfiniBand NDR finish their all-reduce well before the compute.",
                  "d": "Right: every red bar is shorter than the blue one. With two sequences per GPU the compute "
                       "doubled; the gradients did not."},
    hint_text="Communication bounds the step where the red bar (all-reduce) is longer than the blue bar (compute).",
    solution_text=(f"d: at {Q6_TOKENS:,} tokens per GPU no link takes longer to all-reduce than the compute "
                   f"({', '.join(_BOUND) or 'none'} communication-bound)."),
    example_wrong="a",
)

# q7: find the mistake
_PASSAGE_FLOPS = 2 * 7e9 * 2e12
_PASSAGE_S = _PASSAGE_FLOPS / (1000 * cl.get_device(A100).peak_flops)
_REAL_DAYS = cl.training_time_s(6 * 7e9 * 2e12, A100, 1000, 0.4) / _DAY
_FLOPS_TEXT = f"{_PASSAGE_FLOPS:.1e}".replace("e+", "e")
PASSAGE = (f"Training a 7B model on 2 trillion tokens costs 2 x 7e9 x 2e12 = {_FLOPS_TEXT} FLOPs. "
           f"On 1,000 A100s at 312 TFLOP/s each that is {_FLOPS_TEXT} / 3.12e17 = {_PASSAGE_S:,.0f} s: "
           f"about {_PASSAGE_S / _DAY:.0f} day.")

q7 = ChoiceQuestion(
    name="q7", var="mistake", points=2, expected="b",
    choices={"a": "The A100's bf16 peak is 624 TFLOP/s, so the run takes half a day.",
             "b": f"2ND counts the forward pass only: training is 6ND, and at a realistic ~40% MFU the run takes "
                  f"about {_REAL_DAYS:.0f} days, not one.",
             "c": "The tokens should be divided by the batch size before multiplying.",
             "d": "Nothing: the passage is right."},
    explanations={"a": "624 TFLOP/s is the A100's figure 'with sparsity'; dense training runs against 312.",
                  "b": "Right: x3 for the backward pass and / 0.4 for utilization make it 7.5 x longer.",
                  "c": "The total cost is per token, whatever the batch: the batch changes the number of steps, "
                       "not the FLOPs.",
                  "d": "Compare it with Llama 2's reported GPU-hours (notebook 09, section 4)."},
    hint_text="How many FLOPs per parameter per token does training cost? And does a real run reach the peak?",
    solution_text="b: training is 6ND (forward 2ND + backward 4ND), and real runs reach ~40% of the peak.",
    example_wrong="d",
)

# q8: ZeRO-2 model states of a 13 B-parameter model on 16 GPUs
_Z2 = cl.zero_memory(13e9, 16, 2)["total"] / _GB

q8 = NumberQuestion(
    name="q8", var="zero2_gb", points=2, expected=_Z2, unit="GB", decimals=1,
    wrong_units={"bytes, not GB": _GB},
    mistakes={round(cl.zero_memory(13e9, 16, 1)["total"] / _GB, 1): "that is ZeRO stage 1 (optimizer state "
                                                                    "sharded): stage 2 shards the gradients too.",
              round(cl.zero_memory(13e9, 16, 3)["total"] / _GB, 1): "that is stage 3: stage 2 keeps a full copy "
                                                                    "of the fp16 weights on every GPU.",
              round(cl.zero_memory(13e9, 16, 0)["total"] / _GB, 1): "that is plain data parallelism: nothing sharded.",
              round(13e9 * 14 / 16 / _GB, 1): "that shards the weights too (or forgets them): stage 2 keeps all "
                                              "2 bytes per parameter of fp16 weights."},
    hint_text="Mixed-precision Adam: 2 (fp16 weights) + 2 (gradients) + 12 (fp32 optimizer state) bytes per "
              "parameter. Stage 2 divides the gradients and the optimizer state by the number of GPUs.",
    solution_text=f"2 x 13e9 + (2 + 12) x 13e9 / 16 = 26 + 11.375 = {_Z2:.1f} GB.",
    example_wrong=round(cl.zero_memory(13e9, 16, 1)["total"] / _GB, 1),
)

QUESTIONS = [q1, q2, q3, q4, q5, q6, q7, q8]


def score():
    """Each question's status and the total points: the last cell of the exercise."""
    show_score(QUESTIONS)
