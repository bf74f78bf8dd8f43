"""Watermarks in the loop (issue 24): the deduplicated exact detector against hand computations and
transformers, detection on a tiny model, the wrong key, the filters and their provenance, the ration,
radioactivity, the CLI on a run and on a file, and bad inputs."""
from __future__ import annotations

import math

import pytest
import torch
import yaml
from accelerate import Accelerator

from conftest import TINY, location_overrides, run_textmad
from fixtures import lee_lines
from textmad import generate as G
from textmad import rundir
from textmad import watermark as W
from textmad.io import read_json, read_jsonl
from textmad.recipe import RecipeError, WatermarkConfig, load_recipe


def hand_p(green: int, n: int, g: float) -> float:
    return sum(math.comb(n, k) * g ** k * (1 - g) ** (n - k) for k in range(green, n + 1))


def test_exact_binomial_p_against_hand_computations():
    assert W.binomial_p(3, 4, 0.25) == pytest.approx(4 * 0.25 ** 3 * 0.75 + 0.25 ** 4, rel=1e-12)  # 0.05078125
    assert W.binomial_p(0, 10, 0.25) == pytest.approx(1.0)
    assert W.binomial_p(10, 10, 0.25) == pytest.approx(0.25 ** 10, rel=1e-12)
    for green, n in ((7, 20), (15, 40), (40, 60)):
        assert W.binomial_p(green, n, 0.25) == pytest.approx(hand_p(green, n, 0.25), rel=1e-10)
    # transformers' normal tail is far too small in the tail: about 18x at z = 6 (n = 400)
    n = 400
    green = round(0.25 * n + 6 * math.sqrt(n * 0.25 * 0.75))
    z = W.z_score(green, n, 0.25)
    assert W.binomial_p(green, n, 0.25) / W.normal_p(z) > 5


def test_detector_counts_each_pair_once_and_keeps_transformers_figure():
    from transformers import WatermarkDetector, WatermarkingConfig
    from types import SimpleNamespace

    w = WatermarkConfig(min_tokens=1)
    det = W.Detector(w, vocab_size=50)
    context, cont = [3], [5, 7, 5, 7, 5, 7, 9]
    proc = det.detector.processor
    pairs = [(3, 5), (5, 7), (7, 5), (5, 7), (7, 5), (5, 7), (7, 9)]
    green_of = {p: p[1] in proc._get_greenlist_ids(torch.tensor([p[0]])).tolist() for p in set(pairs)}
    s = det.score_ids(context, cont)
    assert s.scored == 4 and s.green == sum(green_of.values())  # (3,5) (5,7) (7,5) (7,9)
    assert s.p == pytest.approx(hand_p(s.green, 4, 0.25), rel=1e-12)
    assert s.z == pytest.approx((s.green - 1) / math.sqrt(4 * 0.25 * 0.75))
    # transformers' own detector on the same windows: its deduplicated z is ours, its default counts repeats
    cfg = WatermarkingConfig(greenlist_ratio=0.25, bias=2.0, hashing_key=w.hashing_key)
    mc = SimpleNamespace(bos_token_id=1, vocab_size=50, is_encoder_decoder=False)
    ids = torch.tensor([context + cont])
    ref_dedup = WatermarkDetector(mc, "cpu", cfg, ignore_repeated_ngrams=True)(ids, return_dict=True)
    ref_all = WatermarkDetector(mc, "cpu", cfg)(ids, return_dict=True)
    assert s.z == pytest.approx(float(ref_dedup.z_score[0]))
    assert s.z_transformers == pytest.approx(float(ref_all.z_score[0]))
    assert s.p_transformers == pytest.approx(float(ref_all.p_value[0]))
    # the prompt is context only: a long prompt adds no scored pair
    assert det.score_ids([9, 8, 7, 6, 3], cont).scored == 4
    # repetition cannot inflate the count: 100 tokens of "5 7" are 2 distinct pairs after the context
    assert det.score_ids([3], [5, 7] * 50).scored == 3
    short = W.Detector(dataclasses_replace(w, min_tokens=5), 50).score_ids(context, cont)
    assert short.status == W.TOO_SHORT and short.z is None and short.p is None and short.scored == 4


def dataclasses_replace(obj, **kw):
    import dataclasses

    return dataclasses.replace(obj, **kw)


# ---------------------------------------------------------------- a tiny model with a strong bias

def corpus_texts(language: str) -> list[str]:
    if language == "en":
        return list(lee_lines())
    from fixtures import quran_bn_verses

    verses = quran_bn_verses()
    return [" ".join(verses[i:i + 4]) for i in range(0, 1200, 4)]  # 300 documents of 4 verses


@pytest.fixture(scope="module", params=["en", "bn"])
def trained(request, tmp_path_factory):
    from textmad import model as M
    from textmad.train import train

    texts = corpus_texts(request.param)[:60]
    r = load_recipe(data={"loop": {"arms": [{"mode": "replace"}]},
                          "model": {"cache_dir": str(tmp_path_factory.mktemp("cache")),
                                    "scratch": {"vocab_size": 400, "hidden_size": 32, "num_layers": 1, "num_heads": 2,
                                                "intermediate_size": 64, "max_position_embeddings": 256,
                                                "tokenizer_sample_chars": 60000}},
                          "train": {"seq_len": 64, "learning_rate": 1e-2, "max_steps": 30}})
    model, tok = M.load_base(r, texts, Accelerator(cpu=True))
    train(model, tok, texts, r.train, Accelerator(cpu=True), seed=0, epochs=10.0)
    return model, tok, request.param


def sample(trained, marked: bool, n: int = 40):
    model, tok, language = trained
    cfg = load_recipe(data={"loop": {"arms": [{"mode": "replace"}]},
                            "generate": {"max_new_tokens": 48, "min_new_tokens": 48, "batch_size": 20, "num_samples": n,
                                         "prompt_tokens": 4,
                                         "watermark": {"enabled": marked, "bias": 6.0, "min_tokens": 16}}}).generate
    docs = [{"id": f"d{i}", "text": t} for i, t in enumerate(corpus_texts(language)[60:])]
    prompts = G.make_prompts(docs, tok, cfg, 0, n)
    return G.generate(model, tok, prompts, cfg, Accelerator(cpu=True), seed=1, generation=1, arm="a", model_hash="x"), cfg


@pytest.mark.slow
def test_cpu_generated_text_is_detected_and_real_text_is_not(trained):
    """In English and Bengali: the same key, the same test."""
    model, tok, language = trained
    texts = corpus_texts(language)
    rows, cfg = sample(trained, True)
    det = W.detector_for(cfg.watermark, tok, model.config)
    marked = W.score_rows(det, tok, rows)
    real = [det.score_ids(c, t) for c, t in W.real_like([{"text": t} for t in texts[100:]], tok, rows, 0)]
    m = W.detection_metrics(marked, real, 1e-3)
    assert m["watermark_tpr"] >= 0.95 and m["watermark_auc"] > 0.95 and m["watermark_mean_z"] > 4
    # the false-positive rate at a nominal 5% on 200 real documents of the samples' length: near 5%
    real = [det.score_ids(c, t) for c, t in W.real_like([{"text": t} for t in texts[60:]], tok, rows * 5, 1)]
    fpr = W.detection_metrics(marked, real, 0.05)["watermark_fpr"]
    assert fpr <= 0.05 + 3 * math.sqrt(0.05 * 0.95 / len(real))
    # the sampler's seed does not matter: the green lists come from the key and the previous token
    plain, _ = sample(trained, False)
    assert W.detection_metrics(W.score_rows(det, tok, plain), real, 1e-3)["watermark_tpr"] <= 0.05


@pytest.mark.slow
def test_a_wrong_key_gives_a_false_positive_rate_near_nominal(trained):
    model, tok, _ = trained
    rows, cfg = sample(trained, True, n=120)
    wrong = W.detector_for(dataclasses_replace(cfg.watermark, hashing_key=cfg.watermark.hashing_key + 1), tok,
                           model.config)
    scores = W.score_rows(wrong, tok, rows)
    rate = sum(s.flagged(0.05) for s in scores) / len(scores)
    assert rate <= 0.05 + 3 * math.sqrt(0.05 * 0.95 / len(scores))
    assert W.detection_metrics(scores, scores, 1e-3)["watermark_tpr"] <= 0.02


# ---------------------------------------------------------------- filters (pure)

def rows_of(origins):
    return [{"id": str(i), "origin": o, "source_id": f"s{i}", "text": "x"} for i, o in enumerate(origins)]


def test_watermark_filter_drops_exactly_the_flagged_and_refills_or_not():
    scores = [W.Score(30, 25, 8.0, 1e-9), W.Score(30, 7, 0.0, 0.6), W.Score(3, 1, None, None, status=W.TOO_SHORT),
              W.Score(30, 20, 5.0, 1e-5), W.Score(30, 8, 0.2, 0.4)]
    verdicts = W.watermark_verdicts(scores, 1e-3)
    assert [v.flagged for v in verdicts] == [True, False, False, True, False]
    rows = rows_of(["synthetic:0", "fresh:1", "synthetic:0", "synthetic:0", "fresh:1"])
    kept, dropped = W.apply_verdicts(rows, verdicts, refill=False, seed=0)
    assert [r["id"] for r in dropped] == ["0", "3"] and [r["id"] for r in kept] == ["1", "2", "4"]
    assert all(r["filter"]["decision"] == "dropped" and "p = " in r["filter"]["reason"] for r in dropped)
    assert "too short" in kept[1]["filter"]["reason"]
    kept, dropped = W.apply_verdicts(rows, verdicts, refill=True, seed=0)
    assert len(kept) == 5 and [r["filter"]["decision"] for r in kept].count("refill") == 2
    assert all(r["source_id"] in ("s1", "s2", "s4") for r in kept if r["filter"]["decision"] == "refill")
    f = W.filter_figures(kept, dropped)
    assert f["filter_dropped_synthetic"] == 2 and f["filter_dropped_real"] == 0 and f["filter_pool"] == 5


@pytest.mark.parametrize("share,refill,expect", [(0.25, True, 5), (0.25, False, 2), (0.0, True, 0), (1.0, False, 12)])
def test_the_ration_keeps_the_requested_share(share, refill, expect):
    verdicts = [W.Verdict(False, True, "flagged")] * 12 + [W.Verdict(True, False, "clean")] * 8
    out = W.ration(verdicts, share, refill, seed=3)
    kept_flagged = sum(v.keep and v.flagged for v in out)
    assert kept_flagged == expect
    kept, _ = W.apply_verdicts(rows_of(["synthetic:0"] * 12 + ["fresh:1"] * 8), out, refill, seed=3)
    assert kept_flagged / len(kept) <= share + 1e-12


def test_perplexity_filter_flags_the_lowest_share():
    v = W.perplexity_verdicts([30.0, 5.0, 12.0, 80.0], 0.5)
    assert [x.flagged for x in v] == [False, True, True, False] and not v[1].keep


# ---------------------------------------------------------------- the loop, the CLI, inspect

ARMS = [{"mode": "replace", "name": "control"},
        {"mode": "fresh", "real_share": 0.5, "watermark": True, "name": "marked"},
        {"mode": "fresh", "real_share": 0.5, "watermark": True, "name": "filtered", "filter": {"kind": "watermark"}},
        {"mode": "fresh", "real_share": 0.5, "watermark": True, "name": "rationed",
         "filter": {"kind": "ration", "max_synthetic_share": 0.25}},
        {"mode": "fresh", "real_share": 0.5, "name": "surprise",
         "filter": {"kind": "perplexity", "perplexity_share": 0.25, "size": "fewer"}}]


@pytest.fixture(scope="module")
def wm_run(tmp_path_factory):
    base = tmp_path_factory.mktemp("wm")
    data = yaml.safe_load(TINY.read_text(encoding="utf-8"))
    data["name"] = "tiny-wm"
    data["generate"].update(min_new_tokens=24, watermark={"bias": 6.0, "min_tokens": 8, "radioactivity_samples": 8})
    data["loop"]["arms"] = ARMS
    recipe = base / "wm.yaml"
    recipe.write_text(yaml.safe_dump(data), encoding="utf-8")
    status, out, err = run_textmad("run", str(recipe), *location_overrides(base))
    assert status == 0, out + err
    return base / "runs" / "tiny-wm", recipe


@pytest.mark.slow
def test_loop_scores_samples_and_records_detection_and_radioactivity(wm_run):
    run, _ = wm_run
    for arm in ("control", "marked"):
        samples = read_jsonl(run / arm / "gen-001" / "samples.jsonl")
        assert all({"watermark_z", "watermark_p", "watermark_scored"} <= set(s) for s in samples)
        radio = read_jsonl(run / arm / "gen-001" / "radioactivity.jsonl")
        assert len(radio) == 8 and all(r["decoding"]["watermark"] is None for r in radio)
        m = read_json(run / arm / "gen-001" / "metrics.json")
        assert isinstance(m["metrics"]["radioactivity_z"], float) and m["metrics"]["radioactivity_scored"] > 0
        assert m["about"]["watermark_tpr"]["direction"] == "higher"
        assert 1 < m["evaluation"]["watermark"]["chars_per_scored_pair"] < 20
    marked = read_json(run / "marked" / "gen-001" / "metrics.json")["metrics"]
    control = read_json(run / "control" / "gen-001" / "metrics.json")["metrics"]
    assert marked["watermark_tpr"] >= 0.9 and control["watermark_tpr"] <= 0.1 and marked["watermark_fpr"] <= 0.1
    # gen-000 is shared: the watermarked arms drew their generation-1 synthetic text from its marked twin
    assert (run / "gen-000" / "samples-watermark-on.jsonl").is_file()
    mix = read_jsonl(run / "marked" / "gen-001" / "train_mix.jsonl")
    assert all(r["source_id"].startswith("gen-000-watermark-on") for r in mix if r["origin"] == "synthetic:0")
    mix = read_jsonl(run / "control" / "gen-001" / "train_mix.jsonl")
    assert all(not r["source_id"].startswith("gen-000-watermark") for r in mix)


@pytest.mark.slow
def test_filter_drops_exactly_the_flagged_and_provenance_says_so(wm_run):
    run, recipe_path = wm_run
    from transformers import AutoTokenizer

    recipe = load_recipe(run / "recipe.yaml")
    tok = AutoTokenizer.from_pretrained(str(run / "gen-000" / "model"))
    det = W.Detector(recipe.generate.watermark, len(tok), tok.bos_token_id)
    for k in (1, 2):
        folder = run / "filtered" / f"gen-{k:03d}"
        kept, dropped = read_jsonl(folder / "train_mix.jsonl"), read_jsonl(folder / rundir.FILTERED_OUT)
        pool = [r for r in kept if r["filter"]["decision"] != "refill"] + dropped
        flagged = {r["id"] for r, s in zip(pool, W.score_rows(det, tok, [{"text": r["text"]} for r in pool]))
                   if s.flagged(recipe.generate.watermark.p_threshold)}
        assert {r["id"] for r in dropped} == flagged and flagged
        assert all(r["filter"]["flagged"] and "watermark p" in r["filter"]["reason"] for r in dropped)
        assert not any(r["filter"]["flagged"] for r in kept)
        m = read_json(folder / "metrics.json")
        assert m["metrics"]["filter_dropped_synthetic"] + m["metrics"]["filter_dropped_real"] == len(dropped)
        assert m["mix"]["docs"] == 24  # refilled to the planned size
    rationed = read_jsonl(run / "rationed" / "gen-001" / "train_mix.jsonl")
    assert sum(r["filter"]["flagged"] for r in rationed) == 6  # 0.25 x 24
    surprise = read_json(run / "surprise" / "gen-001" / "metrics.json")
    assert surprise["mix"]["docs"] == 18 and surprise["metrics"]["filter_flagged"] == 6  # size: fewer
    table = (run / "metrics.csv").read_text(encoding="utf-8").splitlines()[0].split(",")
    assert {"filter_kept_synthetic", "filter_dropped_real", "watermark_tpr", "radioactivity_p"} <= set(table)


@pytest.mark.slow
def test_cli_detects_on_a_run_a_generation_and_a_file(wm_run, tmp_path):
    run, recipe = wm_run
    status, out, err = run_textmad("watermark", "detect", str(run), "--format", "csv")
    assert status == 0, err
    rows = {tuple(line.split(",")[:2]): line.split(",") for line in out.splitlines()[1:]}
    assert float(rows[("marked", "1")][4]) >= 0.9 and float(rows[("control", "1")][4]) <= 0.1
    status, out, _ = run_textmad("watermark", "detect", str(run / "marked" / "gen-001"), "--format", "json")
    assert status == 0 and '"p_transformers"' in out
    text = tmp_path / "texts.txt"
    samples = read_jsonl(run / "marked" / "gen-002" / "samples.jsonl")
    text.write_text("\n\n".join(s["text"] for s in samples), encoding="utf-8")
    status, out, err = run_textmad("watermark", "detect", str(text), "--recipe", str(recipe), "--min-tokens", "8",
                                   "--tokenizer", str(run / "gen-000" / "model"), "--format", "csv")
    assert status == 0, err
    flags = [line.split(",")[5] for line in out.splitlines()[1:]]
    assert len(flags) == len(samples) and flags.count("yes") >= 0.8 * len(flags)
    status, out, _ = run_textmad("inspect", str(run), "--arm", "marked", "--gen", "1")
    assert status == 0 and "watermark z " in out


@pytest.mark.slow
def test_bad_inputs_are_clear_errors(wm_run, tmp_path):
    run, recipe = wm_run
    base = {"loop": {"arms": [{"mode": "fresh", "real_share": 0.5, "filter": {"kind": "watermark"}}]}}
    with pytest.raises(RecipeError, match=r"loop.arms\[0\].filter.kind = 'watermark'.*generate.watermark.enabled"):
        load_recipe(data=base)
    for key, value, words in (("p_threshold", 0, "p_threshold"), ("p_threshold", 1.0, "p_threshold"),
                              ("context_width", 200, "context_width")):
        with pytest.raises(RecipeError, match=words):
            load_recipe(data={"loop": {"arms": [{"mode": "replace"}]},
                              "generate": {"watermark": {"enabled": True, key: value}}})
    with pytest.raises(RecipeError, match="max_synthetic_share"):
        load_recipe(data={"loop": {"filter": {"kind": "ration", "max_synthetic_share": 1.5}, "arms": [{"mode": "replace"}]},
                          "generate": {"watermark": {"enabled": True}}})
    text = tmp_path / "t.txt"
    text.write_text("some text\n\nmore text", encoding="utf-8")
    status, _, err = run_textmad("watermark", "detect", str(text), "--tokenizer", str(run / "gen-000" / "model"))
    assert status == 2 and "no key given" in err and "--key" in err
    status, _, err = run_textmad("watermark", "detect", str(text), "--key", "7")
    assert status == 2 and "--tokenizer" in err
    status, _, err = run_textmad("watermark", "detect", str(run), "--p-threshold", "2")
    assert status == 2 and "--p-threshold" in err
    assert not list(tmp_path.glob("*.tmp"))


@pytest.mark.slow
def test_cost_and_summary_tables_read_the_run_table(wm_run):
    run, _ = wm_run
    status, out, err = run_textmad("watermark", "cost", str(run), "--marked", "marked", "--plain", "control",
                                   "--format", "csv")
    assert status == 0, err
    lines = [line.split(",") for line in out.splitlines()]
    assert lines[0][:4] == ["metric", "generation", "control", "marked"]
    table = {(r["arm"], r["generation"]): r for r in read_jsonl(run / "metrics.jsonl")}
    row = next(r for r in lines[1:] if r[0] == "heldout_ppl" and r[1] == "2")
    assert float(row[4]) == pytest.approx(table[("marked", 2)]["heldout_ppl"] - table[("control", 2)]["heldout_ppl"])
    status, out, err = run_textmad("watermark", "summary", str(run), "--metrics", "watermark_tpr,radioactivity_z",
                                   "--format", "csv")
    assert status == 0, err
    rows = {tuple(r.split(",")[:2]): r.split(",") for r in out.splitlines()[1:]}
    assert float(rows[("marked", "1")][3]) == pytest.approx(table[("marked", 1)]["watermark_tpr"])
    status, _, err = run_textmad("watermark", "cost", str(run), "--marked", "nope", "--plain", "control")
    assert status == 2 and "nope" in err
