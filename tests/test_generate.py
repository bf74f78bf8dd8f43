"""Generation rows, prompts, token budget, beam and sampling, watermarking."""
import copy
import math

import pytest
from accelerate import Accelerator

from fixtures import lee_path
from textmad import generate as G
from textmad import model as M
from textmad.io import sha256_text
from textmad.recipe import load_recipe

LEE = lee_path()
BENGALI = ["বাংলা ভাষা দক্ষিণ এশিয়ার একটি ইন্দো-আর্য ভাষা।", "ঢাকা বাংলাদেশের রাজধানী এবং বৃহত্তম শহর।"]
TINY = {"vocab_size": 400, "hidden_size": 32, "num_layers": 1, "num_heads": 2, "intermediate_size": 64,
        "max_position_embeddings": 256, "tokenizer_sample_chars": 60000}
FIELDS = {"id", "generation", "arm", "prompt_id", "prompt", "text", "decoding", "seed", "model_sha256",
          "text_sha256", "new_tokens"}


def docs():
    lines = [line for line in LEE.read_text(encoding="utf-8").splitlines() if line.strip()][:30]
    return [{"id": f"d{i}", "text": t} for i, t in enumerate(lines + BENGALI * 3)]


def cfg(**generate):
    return load_recipe(data={"loop": {"arms": [{"mode": "replace"}]},
                             "generate": {"max_new_tokens": 12, "min_new_tokens": 4, "batch_size": 4,
                                          "num_samples": 6, **generate}}).generate


@pytest.fixture(scope="module")
def lm(tmp_path_factory):
    r = load_recipe(data={"loop": {"arms": [{"mode": "replace"}]},
                          "model": {"cache_dir": str(tmp_path_factory.mktemp("cache")), "scratch": TINY}})
    return M.load_base(r, [d["text"] for d in docs()], Accelerator(cpu=True))


def run(lm, c, prompts=None, seed=0):
    model, tok = lm
    prompts = prompts if prompts is not None else G.make_prompts(docs(), tok, c, 0, G.prompts_needed(c))
    return G.generate(model, tok, prompts, c, Accelerator(cpu=True), seed=seed, generation=2, arm="replace",
                      model_hash="abc")


def test_prompts_are_document_prefixes_and_deterministic(lm):
    _, tok = lm
    c = cfg(prompt_tokens=6)
    by_id = {d["id"]: d["text"] for d in docs()}
    prompts = G.make_prompts(docs(), tok, c, seed=5, n=len(by_id) + 3)
    assert prompts == G.make_prompts(docs(), tok, c, seed=5, n=len(by_id) + 3)
    assert len({p["id"] for p in prompts}) == len(prompts)
    assert {p["source_id"] for p in prompts[: len(by_id)]} == set(by_id)
    for p in prompts:
        assert p["prompt"] and by_id[p["source_id"]].startswith(p["prompt"])
        assert len(tok(p["prompt"], add_special_tokens=False)["input_ids"]) <= 6
    assert all(p["prompt"] == "" for p in G.make_prompts(docs(), tok, cfg(prompt_tokens=0), 0, 3))


def test_sampling_rows_have_every_field(lm):
    c = cfg(temperature=0.9, top_p=0.95, top_k=50, repetition_penalty=1.1)
    rows = run(lm, c)
    assert len(rows) == 6 and all(set(r) == FIELDS for r in rows)
    _, tok = lm
    for r in rows:
        assert r["text_sha256"] == sha256_text(r["text"]) and r["model_sha256"] == "abc"
        assert 4 <= r["new_tokens"] <= 12 and r["generation"] == 2 and r["arm"] == "replace"
        assert r["decoding"]["top_k"] == 50 and r["decoding"]["watermark"] is None
    assert rows == run(lm, c)
    assert [r["text"] for r in rows] != [r["text"] for r in run(lm, c, seed=1)]


def test_rows_do_not_depend_on_batch_position(lm):
    c = cfg(prompt_tokens=0)
    rows = run(lm, c)
    again = run(lm, c, prompts=[{"id": r["prompt_id"], "prompt": ""} for r in rows])
    assert [r["text"] for r in rows] == [r["text"] for r in again]


def test_token_budget_stops_generation(lm):
    c = cfg(token_budget=30, num_samples=1000)
    rows = run(lm, c)
    spent = [r["new_tokens"] for r in rows]
    assert sum(spent) >= 30 and sum(spent[:-1]) < 30
    assert len(rows) < G.prompts_needed(c)


def test_beam_search(lm):
    rows = run(lm, cfg(do_sample=False, num_beams=3))
    assert len(rows) == 6 and rows[0]["decoding"]["num_beams"] == 3
    assert rows == run(lm, cfg(do_sample=False, num_beams=3))


@pytest.mark.slow
def test_watermark_is_recorded_and_detected(lm):
    # Detection re-tokenizes text, which gives back the sampled tokens only once the model has
    # learned the tokenizer's segmentation: train a copy briefly.
    from textmad.train import train
    model, tok = copy.deepcopy(lm)
    t = load_recipe(data={"loop": {"arms": [{"mode": "replace"}]},
                          "train": {"seq_len": 64, "learning_rate": 1e-2, "max_steps": 30}}).train
    train(model, tok, [d["text"] for d in docs()], t, Accelerator(cpu=True), seed=0, epochs=10.0)
    lm = model, tok
    marked = cfg(max_new_tokens=40, min_new_tokens=40, watermark={"enabled": True, "bias": 6.0})
    rows = run(lm, marked)
    assert rows[0]["decoding"]["watermark"] == {"enabled": True, "greenlist_ratio": 0.25, "bias": 6.0,
                                                "hashing_key": 15485863, "seeding_scheme": "lefthash",
                                                "context_width": 1}
    plain = run(lm, cfg(max_new_tokens=40, min_new_tokens=40))
    z_marked = [d["z_score"] for d in G.detect_watermark([r["text"] for r in rows], tok, marked, model.config)]
    z_plain = [d["z_score"] for d in G.detect_watermark([r["text"] for r in plain], tok, marked, model.config)]
    assert min(z_marked) > max(z_plain)


def test_inverse_cdf_sampler_draws_from_softmax():
    import torch

    logits = torch.tensor([2.0, 0.0, -1.0, 1.0, -math.inf])
    probs = torch.softmax(logits, -1)
    torch.manual_seed(0)
    n = 40000
    out = G._inverse_cdf_sampler()(None, logits.repeat(n, 1))
    drawn = out.argmax(-1)
    assert (out.isfinite().sum(-1) == 1).all()
    freq = torch.bincount(drawn, minlength=5).double() / n
    # 4 binomial standard errors at n = 40000 is under 0.01
    assert torch.allclose(freq, probs.double(), atol=0.01) and freq[4] == 0
    torch.manual_seed(0)
    assert torch.equal(G._inverse_cdf_sampler()(None, logits.repeat(n, 1)).argmax(-1), drawn)


def test_top_k_1_sampling_is_greedy(lm):
    # the warpers act before the sampler: with one token left, sampling must pick the argmax
    sampled = run(lm, cfg(top_k=1, temperature=0.7))
    greedy = run(lm, cfg(do_sample=False))
    assert [r["text"] for r in sampled] == [r["text"] for r in greedy]

