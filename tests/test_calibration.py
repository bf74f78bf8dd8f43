"""Calibration metrics of held-out text (issue 23): equal-mass ECE, next-token entropy and top-1
probability, against hand computations and a brute-force loop over the same tiny model."""
import math

import pytest
import torch

from fixtures import lee_lines, tiny_llama
from textmad.evaluate.perplexity import expected_calibration_error, perplexity


def test_ece_equal_mass_bins_by_hand():
    # 4 tokens, 2 bins of 2 by confidence: {0.2, 0.4} with hits {0, 1} -> |0.5 - 0.3| = 0.2;
    # {0.6, 0.9} with hits {1, 1} -> |1 - 0.75| = 0.25; ECE = 0.5 * 0.2 + 0.5 * 0.25 = 0.225
    assert expected_calibration_error([0.9, 0.2, 0.6, 0.4], [1, 0, 1, 1], bins=2) == pytest.approx(0.225)
    # perfectly calibrated bins give 0; one bin is |accuracy - mean confidence|
    assert expected_calibration_error([0.5, 0.5, 1.0, 1.0], [1, 0, 1, 1], bins=2) == pytest.approx(0.0)
    assert expected_calibration_error([0.8, 0.6], [0, 0], bins=1) == pytest.approx(0.7)
    # more bins than tokens: one token a bin, the mean |hit - confidence|
    assert expected_calibration_error([0.8, 0.3], [1, 0], bins=15) == pytest.approx((0.2 + 0.3) / 2)
    assert expected_calibration_error([], []) is None


@pytest.fixture(scope="module")
def tiny():
    torch.set_num_threads(1)
    return tiny_llama(list(lee_lines()))


def brute_force(model, tokenizer, texts):
    """Token by token over each whole document (window = document): entropy, top-1 and hits."""
    entropies, top1, hits = [], [], []
    start = [tokenizer.bos_token_id]
    for text in texts:
        ids = start + tokenizer(text, add_special_tokens=False)["input_ids"]
        with torch.no_grad():
            logits = model(input_ids=torch.tensor([ids])).logits[0, :-1].double()
        p = torch.softmax(logits, -1)
        for pos, gold in enumerate(ids[1:]):
            entropies.append(float(-(p[pos] * p[pos].log()).sum()))
            top1.append(float(p[pos].max()))
            hits.append(int(p[pos].argmax()) == gold)
    return entropies, top1, hits


def test_calibration_matches_a_token_by_token_loop(tiny):
    model, tokenizer = tiny
    texts = list(lee_lines())[:6]
    r = perplexity(model, tokenizer, texts, window=4096, stride=4096, batch_size=3)
    entropies, top1, hits = brute_force(model, tokenizer, texts)
    assert r["tokens"] == len(top1)
    assert r["entropy"] == pytest.approx(sum(entropies) / len(entropies), rel=1e-5)
    assert r["top1"] == pytest.approx(sum(top1) / len(top1), rel=1e-5)
    assert r["ece"] == pytest.approx(expected_calibration_error(top1, hits), abs=1e-6)
    # a random model's next-token distribution is near uniform: entropy near log(vocabulary)
    assert r["entropy"] <= math.log(model.config.vocab_size) + 1e-6


def test_calibration_does_not_depend_on_the_window_or_batch(tiny):
    """Sliding windows change the context of a token, not the set of scored tokens: the counts agree
    and the means stay close; the batch size changes nothing at all."""
    model, tokenizer = tiny
    texts = list(lee_lines())[:6]
    a = perplexity(model, tokenizer, texts, window=32, stride=16, batch_size=2)
    b = perplexity(model, tokenizer, texts, window=32, stride=16, batch_size=7)
    for key in ("ece", "entropy", "top1", "nll"):
        assert a[key] == pytest.approx(b[key], rel=1e-6)


def test_calibration_off_leaves_the_perplexity_unchanged(tiny):
    model, tokenizer = tiny
    texts = list(lee_lines())[:4]
    on = perplexity(model, tokenizer, texts, window=32, stride=16, batch_size=2)
    off = perplexity(model, tokenizer, texts, window=32, stride=16, batch_size=2, calibration=False)
    assert {k: off[k] for k in ("ece", "entropy", "top1")} == {"ece": None, "entropy": None, "top1": None}
    assert {k: v for k, v in off.items() if k not in ("ece", "entropy", "top1")} == \
        {k: v for k, v in on.items() if k not in ("ece", "entropy", "top1")}
