"""Perplexity: agreement with the transformers guide "Perplexity of fixed-length models"."""
import math

import pytest
import torch

from fixtures import lee_lines, tiny_llama
from textmad.evaluate.perplexity import _windows, perplexity


def lee_docs():
    return list(lee_lines())


@pytest.fixture(scope="module")
def tiny():
    """A seeded random tiny Llama and a word-level tokenizer (with BOS) built offline from real text."""
    torch.set_num_threads(1)  # a tiny model: threads only add overhead on a shared CI machine
    return tiny_llama(lee_docs())


def guide_perplexity(model, tokenizer, text, max_length, stride):
    """The guide's loop on one joined text, counting the tokens the loss actually covers.

    The guide subtracts one label per window for the internal shift; that holds for the first
    window only (later windows' first label is context), so the count here is taken from the
    shifted labels. ``guide_perplexity_v4`` below is the earlier, literal version of the guide.
    """
    encodings = tokenizer(text, return_tensors="pt")
    seq_len = encodings.input_ids.size(1)
    nll_sum, n_tokens, prev_end_loc = 0.0, 0, 0
    for begin_loc in range(0, seq_len, stride):
        end_loc = min(begin_loc + max_length, seq_len)
        trg_len = end_loc - prev_end_loc
        input_ids = encodings.input_ids[:, begin_loc:end_loc]
        target_ids = input_ids.clone()
        target_ids[:, :-trg_len] = -100
        with torch.no_grad():
            neg_log_likelihood = model(input_ids, labels=target_ids).loss
        num_loss_tokens = (target_ids[:, 1:] != -100).sum().item()
        nll_sum += neg_log_likelihood * num_loss_tokens
        n_tokens += num_loss_tokens
        prev_end_loc = end_loc
        if end_loc == seq_len:
            break
    avg_nll = nll_sum / n_tokens
    return float(avg_nll), float(torch.exp(avg_nll)), n_tokens


def guide_perplexity_v4(model, tokenizer, text, max_length, stride):
    """The guide as written up to transformers 4.4x: nll * trg_len summed, divided by end_loc."""
    encodings = tokenizer(text, return_tensors="pt")
    seq_len = encodings.input_ids.size(1)
    nlls, prev_end_loc = [], 0
    for begin_loc in range(0, seq_len, stride):
        end_loc = min(begin_loc + max_length, seq_len)
        trg_len = end_loc - prev_end_loc
        input_ids = encodings.input_ids[:, begin_loc:end_loc]
        target_ids = input_ids.clone()
        target_ids[:, :-trg_len] = -100
        with torch.no_grad():
            neg_log_likelihood = model(input_ids, labels=target_ids).loss * trg_len
        nlls.append(neg_log_likelihood)
        prev_end_loc = end_loc
        if end_loc == seq_len:
            break
    return float(torch.stack(nlls).sum() / end_loc)


@pytest.mark.parametrize("window,stride", [(64, 32), (48, 13)])
def test_reproduces_the_transformers_guide_on_the_joined_text(tiny, window, stride):
    model, tokenizer = tiny
    joined = "\n\n".join(lee_docs()[:3])
    nll, ppl, n = guide_perplexity(model, tokenizer, joined, window, stride)
    ours = perplexity(model, tokenizer, [joined], window, stride, batch_size=4)
    assert ours["tokens"] == n
    assert ours["nll"] == pytest.approx(nll, abs=1e-4)
    assert ours["ppl"] == pytest.approx(ppl, rel=1e-4)
    # the literal earlier guide weights its first window by one token too many: within 1e-4 here
    assert ours["nll"] == pytest.approx(guide_perplexity_v4(model, tokenizer, joined, window, stride), abs=1e-4)
    assert ours["bpb"] == pytest.approx(ours["nll"] * n / math.log(2) / len(joined.encode("utf-8")), rel=1e-9)


def test_token_weighted_over_documents_and_batch_independent(tiny):
    model, tokenizer = tiny
    docs = lee_docs()[:2] + ["আমি বাংলায় গান গাই।", "x"]
    parts = [perplexity(model, tokenizer, [d], 32, 16) for d in docs]
    whole = perplexity(model, tokenizer, docs, 32, 16, batch_size=3)
    assert whole["tokens"] == sum(p["tokens"] for p in parts)
    assert whole["bytes"] == sum(len(d.encode("utf-8")) for d in docs)
    total_nll = sum(p["nll"] * p["tokens"] for p in parts)
    assert whole["nll"] == pytest.approx(total_nll / whole["tokens"], abs=1e-5)
    assert perplexity(model, tokenizer, docs, 32, 16, batch_size=1)["nll"] == pytest.approx(whole["nll"], abs=1e-5)
    # every token of a document is scored once: BOS gives the first one its context
    assert parts[-1]["tokens"] == 1


def test_rejects_bad_windows(tiny):
    model, tokenizer = tiny
    with pytest.raises(ValueError, match="stride"):
        perplexity(model, tokenizer, ["a b"], 8, 9)


@pytest.mark.parametrize("window,stride", [(64, 64), (8, 8), (2, 2), (2, 1), (16, 5), (64, 32), (48, 13)])
def test_every_text_token_is_scored_exactly_once(tiny, window, stride):
    """stride == window used to skip the first token of every later window (the guide's loop does)."""
    model, tokenizer = tiny
    docs = lee_docs()[:3] + ["আমি বাংলায় গান গাই।"]
    real = sum(len(tokenizer(d, add_special_tokens=False)["input_ids"]) for d in docs)
    assert perplexity(model, tokenizer, docs, window, stride)["tokens"] == real
    for n in (1, 2, 3, window, window + 1, 5 * window + 3):
        scored = []
        for begin, end, k in _windows(n, window, stride):
            targets = range(end - k, end)
            assert end - begin <= window and all(t > begin or t == 0 for t in targets)  # context in the window
            scored += [t for t in targets if t > 0]  # position 0 is the start token: never a label
        assert sorted(scored) == list(range(1, n))


def test_documents_are_scored_after_the_start_token_as_in_training(tiny):
    """A tokenizer that adds no BOS itself still has every text token scored, after textmad's start token."""
    from transformers import PreTrainedTokenizerFast

    model, tokenizer = tiny
    plain = PreTrainedTokenizerFast(tokenizer_object=tokenizer.backend_tokenizer, bos_token="<s>", unk_token="<unk>",
                                    pad_token="<pad>")
    plain.backend_tokenizer.post_processor = None
    doc = lee_docs()[5]
    ids = plain(doc, add_special_tokens=False)["input_ids"]
    assert plain(doc)["input_ids"] == ids  # no BOS from the tokenizer
    r = perplexity(model, plain, [doc], 64, 32)
    assert r["tokens"] == len(ids)
    # the first window by hand: start token, then the text; every text token a target
    head = torch.tensor([[plain.bos_token_id] + ids[:63]])
    with torch.no_grad():
        first = model(head, labels=head).loss.item() * 63
    assert first < r["nll"] * r["tokens"]


def test_bits_per_byte_char_and_word(tiny):
    import unicodedata

    from textmad.text import words

    model, tokenizer = tiny
    decomposed = unicodedata.normalize("NFD", "কৌশল আর ক্ষমতা: ১২ টি")  # 3-byte letters; NFC joins the vowel sign
    docs = [lee_docs()[0], decomposed]
    r = perplexity(model, tokenizer, docs, 32, 16)
    bits = r["nll"] * r["tokens"] / math.log(2)
    assert r["bytes"] == sum(len(d.encode("utf-8")) for d in docs)
    assert r["chars"] == sum(len(unicodedata.normalize("NFC", d)) for d in docs) < sum(len(d) for d in docs)
    assert r["words"] == len(words(lee_docs()[0])) + 5
    assert (r["bpb"], r["bpc"], r["bpw"]) == pytest.approx((bits / r["bytes"], bits / r["chars"], bits / r["words"]))


def test_huge_finite_loss_gives_inf_perplexity_not_an_error(tiny):
    import copy

    model, tokenizer = tiny
    wild = copy.deepcopy(model)
    with torch.no_grad():
        wild.lm_head.weight.mul_(1e5)  # what a learning rate of 100 does: finite logits, a loss beyond exp's range
    r = perplexity(wild, tokenizer, lee_docs()[:2], 32, 16)
    assert math.isfinite(r["nll"]) and r["nll"] > 710 and r["ppl"] == math.inf
    # in metrics.json: null with the reason (JSON has no inf)
    from textmad.evaluate.score import Scores

    scores = Scores()
    scores.set("heldout_ppl", r["ppl"])
    assert scores.record()["metrics"]["heldout_ppl"] is None
    assert scores.record()["evaluation"]["unavailable"]["heldout_ppl"] == "not finite (inf)"
