"""Exercise 08's questions: each passes an answer worked out by hand in this file and fails its
known-wrong one; the solution notebook runs and every answer in it is correct."""
from __future__ import annotations

import math
import re
from pathlib import Path

import pytest

from answers import assert_independent_answer, run_solution
from course_lib.checks import CORRECT, INCORRECT, NOT_ATTEMPTED
from course_lib.checks import ex08

IDS = [q.name for q in ex08.QUESTIONS]


def test_questions_are_named_in_order_and_exported():
    assert [q.name for q in ex08.QUESTIONS] == [f"q{i}" for i in range(1, len(ex08.QUESTIONS) + 1)]
    assert 6 <= len(ex08.QUESTIONS) <= 8
    for q in ex08.QUESTIONS:
        assert q.name in ex08.__all__ and getattr(ex08, q.name) is q
        assert q.points >= 1 and q.hint_text and q.solution_text and q.example_wrong is not None


@pytest.mark.parametrize("question", ex08.QUESTIONS, ids=IDS)
def test_example_wrong_fails(question):
    assert question.evaluate({question.var: question.example_wrong}).status == INCORRECT


@pytest.mark.parametrize("question", ex08.QUESTIONS, ids=IDS)
def test_blank_is_not_attempted(question):
    assert question.evaluate({question.var: None}).status == NOT_ATTEMPTED


# Llama-2-7B (Touvron et al. 2023; its config: 32 layers, d_model 4096, 32 heads of 128, SwiGLU 11008,
# vocabulary 32,000, untied embeddings, RMSNorm): embeddings and LM head 2 x 32000 x 4096, per layer
# 4 x 4096^2 (attention) + 3 x 4096 x 11008 (SwiGLU) + 2 x 4096 (norms), and a final norm.
LLAMA_PARAMS = 2 * 32000 * 4096 + 32 * (4 * 4096 ** 2 + 3 * 4096 * 11008 + 2 * 4096) + 4096   # 6,738,415,616
NORM_PARAMS = (2 * 32 + 1) * 4096                 # 266,240: read, but no matrix multiply
READ_PARAMS = LLAMA_PARAMS - 32000 * 4096         # a step reads every weight but the embedding table (a lookup)
KV_PER_TOKEN = 2 * 32 * 32 * 128 * 2              # keys and values, 32 layers, 32 heads of 128, bf16: 524,288 B
H200_BW, H200_BF16 = 4.8e12, 989.5e12             # NVIDIA H200 datasheet: 4.8 TB/s, 989.5 TFLOP/s dense bf16


def _decode(batch, context=4096):
    """FLOPs and bytes of one decode step: every weight read once, used in one MAC per sequence; each
    sequence reads its whole cache (one MAC per cached bf16 element) and writes one token's K and V."""
    flops = batch * (2 * (READ_PARAMS - NORM_PARAMS) + 2 * KV_PER_TOKEN // 2 * context)
    moved = READ_PARAMS * 2 + batch * KV_PER_TOKEN * (context + 1)
    return flops, moved


# Llama-3-8B (Meta's config: 32 layers, d_model 4096, 32 query heads and 8 key/value heads of 128, SwiGLU 14336,
# vocabulary 128,256, untied): attention 2 x 4096^2 + 2 x 4096 x 1024 per layer; published 8,030,261,248 parameters.
L3_PARAMS = 2 * 128256 * 4096 + 32 * (2 * 4096 ** 2 + 2 * 4096 * 1024 + 3 * 4096 * 14336 + 2 * 4096) + 4096
L3_READ = L3_PARAMS - 128256 * 4096                # all but the looked-up token table
L3_KV_PER_TOKEN = 2 * 32 * 8 * 128 * 2             # 8 key/value heads: 131,072 B


def _llama3_decode(context=4096):
    """Llama-3-8B's decode step at batch 1: each weight read feeds one MAC; each of the 32 query heads does a MAC
    with every cached key (scores) and value (weighted sum) of its group: 2 x 32 x 32 x 128 x context MACs."""
    assert L3_PARAMS == 8_030_261_248
    flops = 2 * (L3_READ - (2 * 32 + 1) * 4096) + 2 * (2 * 32 * 32 * 128 * context)
    moved = 2 * L3_READ + L3_KV_PER_TOKEN * (context + 1)
    return flops, moved


def _kv_bytes_per_token(n_layers, n_kv_heads, head_dim, bytes_per_element):
    return 2 * n_layers * n_kv_heads * head_dim * bytes_per_element


HAND_WORKED = [
    (ex08.q1, 2 * 768 + 768 * 2304 + 2304 + 768 * 768 + 768 + 2 * 768 + 768 * 3072 + 3072 + 3072 * 768 + 768, 1e-12),
                                                  # GPT-2 small (Radford et al. 2019) block: 7,087,872
    (ex08.q2, KV_PER_TOKEN * 2048 * 6 / 1e9, 1e-12),                           # 6.44 GB (6 GiB)
    (ex08.q3, _kv_bytes_per_token, None),
    (ex08.q4, _llama3_decode()[0] / _llama3_decode()[1], 1e-9),                # 1.104: GQA, 4 MACs per cached element
    (ex08.q5, _llama3_decode()[1] / H200_BW * 1e3, 1e-9),                      # 15.55 GB / 4.8 TB/s = 3.2389 ms
    (ex08.q6, "b", None),                         # test_decode_stays_left_of_the_ridge below
    (ex08.q7, "c", None),                         # READ_PARAMS x 2 B = 13.2 GB a token / 4.8 TB/s = 2.75 ms
    (ex08.q8, math.floor((141 * 2 ** 30 - 2 * LLAMA_PARAMS) / (KV_PER_TOKEN * 4096)), 0),
                                                  # the H200's "141GB" (datasheet) sold as 141 GiB (nvidia-smi shows
                                                  # 143,771 MiB): (151.4e9 - 13.48e9) / 2^31 = 64.2 -> 64 sequences
]


@pytest.mark.parametrize("question, answer, rel", HAND_WORKED, ids=lambda v: getattr(v, "name", ""))
def test_hand_worked_answer_passes(question, answer, rel):
    assert_independent_answer(question, answer, rel)


def test_every_question_has_a_hand_worked_answer():
    assert [q for q, _, _ in HAND_WORKED] == ex08.QUESTIONS


def test_the_hand_worked_llama_count_is_the_published_one():
    assert LLAMA_PARAMS == 6_738_415_616          # Meta's Llama-2-7b checkpoint holds 6,738,415,616 parameters


def test_q8_solution_text_agrees_with_its_answer():
    quotient = float(re.search(r"= ([\d.]+), so", ex08.q8.solution_text).group(1))
    assert math.floor(quotient) == ex08.q8.expected


def test_decode_stays_left_of_the_ridge():
    # At batch 512 the weights are shared but each sequence brings its own 2 GiB cache: ~7 FLOP/byte
    flops, moved = _decode(512)
    assert flops / moved < 8 < H200_BF16 / H200_BW            # the ridge is 206 FLOP/byte
    assert 2 * READ_PARAMS / H200_BW == pytest.approx(2.753e-3, rel=1e-3)   # q7: 2.75 ms a token


@pytest.mark.parametrize("case, expected", [
    ((32, 32, 128, 2), 524_288), ((32, 8, 128, 2), 131_072),   # grouped-query attention: 8 KV heads
    ((12, 12, 64, 4), 2 * 12 * 12 * 64 * 4), ((1, 1, 1, 0.5), 1.0),   # GPT-2 small in fp32: 73,728
])
def test_q3_reference_on_hand_worked_cases(case, expected):
    assert ex08.q3.reference(*case) == expected


@pytest.fixture(scope="module")
def solution_namespace():
    return run_solution(Path(__file__).resolve().parents[1] / "solutions" / "08_transformers.ipynb")


@pytest.mark.parametrize("question", ex08.QUESTIONS, ids=IDS)
def test_solution_notebook_runs_and_every_answer_is_correct(solution_namespace, question):
    assert question.evaluate(solution_namespace).status == CORRECT, question.evaluate(solution_namespace)


@pytest.mark.parametrize("question, answer, words", [
    (ex08.q2, 6.0, "GiB"),
    (ex08.q2, 6.442450944e9, "bytes"),
    (ex08.q2, 2 * 32 * 32 * 128 * 2 * 2048 * 6 / 1e9 / 2, "keys"),
    (ex08.q2, 2 * 32 * 32 * 128 * 2 * 4096 * 6 / 1e9, "4,096 tokens"),
    (ex08.q4, 1.00, "Llama-2-7B"),
    (ex08.q4, (2 * (L3_READ - (2 * 32 + 1) * 4096)) / (2 * L3_READ + L3_KV_PER_TOKEN * 4097), "attention FLOPs"),
    (ex08.q5, 3.24e-3, "seconds"),
    (ex08.q5, 3.45, "token embedding table"),     # (16.06 + 0.54) GB / 4.8 TB/s, the table included, cut to 3 figures
    (ex08.q5, 3.20, "Llama-2-7B"),                # the lesson's step, not q4's
    (ex08.q8, 141 * 2 ** 30 // 2 ** 31, "weights"),     # 70: all 141 GiB filled with KV cache
    (ex08.q1, 12 * 768 ** 2, "bias"),
])
def test_wrong_units_and_mistakes_say_why(question, answer, words):
    feedback = question.evaluate({question.var: answer})
    assert feedback.status == INCORRECT and words in feedback.message


def test_function_question_hand_cases():
    def learner(n_layers, n_kv_heads, head_dim, bytes_per_element):
        return 2 * n_layers * n_kv_heads * head_dim * bytes_per_element
    assert ex08.q3.evaluate({"kv_bytes_per_token": learner}).status == CORRECT
    assert ex08.q3.evaluate({"kv_bytes_per_token": lambda *a: None}).status == NOT_ATTEMPTED
    assert ex08.q3.evaluate({"kv_bytes_per_token": 524288}).status == INCORRECT
