"""The Hugging Face ecosystem (issue 26): dataset export, hub-ready model folders, `evaluate` modules."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from conftest import ROOT, run_textmad, subprocess_env
from textmad.io import read_jsonl


def _export(tiny_run, to, *extra):
    status, out, err = run_textmad("export", str(tiny_run), "--to", str(to), *extra)
    return status, out, err


# ---------------------------------------------------------------- generations as datasets

@pytest.mark.slow
def test_export_round_trips_every_sample_and_its_provenance(tiny_run, tmp_path):
    import datasets

    to = tmp_path / "ds"
    status, out, err = _export(tiny_run, to)
    assert status == 0, err
    samples = datasets.load_dataset(str(to))  # offline: a local folder with parquet and a card
    mixes = datasets.load_dataset(str(to), "train_mix")
    folders = {"gen_000": tiny_run / "gen-000"}
    for arm in ("replace", "fresh-50"):
        for k in (1, 2):
            folders[f"{arm.replace('-', '_')}_gen_00{k}"] = tiny_run / arm / f"gen-00{k}"
    assert set(samples) == set(folders) == set(mixes)
    for split, folder in folders.items():
        want = read_jsonl(folder / "samples.jsonl")
        got = samples[split].to_list()
        assert len(got) == len(want) > 0
        for g, w in zip(got, want):
            assert json.loads(g.pop("decoding")) == w.pop("decoding")
            assert {k: g[k] for k in w} == w  # every provenance column, value for value
        want_mix = read_jsonl(folder / "train_mix.jsonl")
        got_mix = mixes[split].to_list()
        assert [{k: g[k] for k in w} for g, w in zip(got_mix, want_mix)] == want_mix
        assert {g["generation"] for g in got_mix} == {int(split[-3:])}
    card = (to / "README.md").read_text(encoding="utf-8")
    assert card.startswith("---\n") and "language:\n- en" in card and "license: other" in card
    assert "LGPL" in card  # the corpus card's licence is inherited
    assert "heldout_ppl" in card and "name: tiny" in card  # metrics and recipe


@pytest.mark.slow
def test_export_selects_arm_and_generation_and_replaces_an_earlier_export(tiny_run, tmp_path):
    import datasets

    to = tmp_path / "ds"
    assert _export(tiny_run, to)[0] == 0
    status, out, err = _export(tiny_run, to, "--arm", "replace", "--generation", "2")
    assert status == 0, err
    assert set(datasets.load_dataset(str(to))) == {"replace_gen_002"}


@pytest.mark.slow
def test_export_refuses_a_folder_that_is_not_an_export(tiny_run, tmp_path):
    to = tmp_path / "mine"
    to.mkdir()
    (to / "notes.txt").write_text("keep me")
    status, out, err = _export(tiny_run, to)
    assert status == 2 and "not an earlier textmad export" in err and str(to) in err
    assert (to / "notes.txt").read_text() == "keep me" and len(list(to.iterdir())) == 1


@pytest.mark.slow
def test_export_bad_arm_and_generation(tiny_run, tmp_path):
    status, _, err = _export(tiny_run, tmp_path / "a", "--arm", "nope")
    assert status == 2 and "'nope'" in err and "replace" in err
    status, _, err = _export(tiny_run, tmp_path / "b", "--generation", "9")
    assert status == 2 and "generation 9" in err
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


@pytest.mark.slow
def test_push_to_hub_without_token_is_a_clear_error_and_pushes_nothing(tiny_run, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", "")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))  # no stored token either
    to = tmp_path / "ds"
    status, out, err = _export(tiny_run, to, "--push-to-hub", "someone/textmad-tiny")
    assert status == 2 and "no Hugging Face token" in err and "nothing was pushed" in err
    assert (to / "README.md").is_file()  # the local export is complete


@pytest.mark.slow
def test_push_to_hub_without_network_is_a_clear_error(tiny_run, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", "hf_not_a_real_token")
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # nothing listens: no network to the hub
    to = tmp_path / "ds"
    status, out, err = _export(tiny_run, to, "--push-to-hub", "someone/textmad-tiny")
    assert status == 2 and "someone/textmad-tiny" in err and "no commit was made" in err


@pytest.mark.slow
@pytest.mark.online
def test_push_to_hub_online(tiny_run, tmp_path):
    repo = os.environ.get("TEXTMAD_TEST_HUB_REPO")
    if not repo or not os.environ.get("HF_TOKEN"):
        pytest.skip("needs network, HF_TOKEN and TEXTMAD_TEST_HUB_REPO (a dataset repo the token may write)")
    import datasets

    status, out, err = _export(tiny_run, tmp_path / "ds", "--push-to-hub", repo)
    assert status == 0, err
    assert set(datasets.load_dataset(repo)) >= {"gen_000"}


@pytest.mark.slow
def test_load_samples(tiny_run):
    import textmad

    ds = textmad.load_samples(tiny_run)
    n = sum(len(read_jsonl(p)) for p in [tiny_run / "gen-000" / "samples.jsonl",
                                          *tiny_run.glob("*/gen-*/samples.jsonl")])
    assert len(ds) == n == 5 * 24
    frame = textmad.load_samples(tiny_run, as_pandas=True)
    assert list(frame["text"]) == ds["text"] and set(frame["arm"]) == {"gen-000", "replace", "fresh-50"}


def test_importing_textmad_stays_light():
    code = "import sys, textmad; print(sorted(m for m in ('datasets', 'torch', 'evaluate') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], env=subprocess_env(), capture_output=True, text=True,
                         cwd=ROOT, check=True).stdout
    assert out.strip() == "[]"


# ---------------------------------------------------------------- models as hub-ready folders

@pytest.mark.slow
def test_a_generation_model_loads_with_transformers_alone(tiny_run, tmp_path):
    """A fresh interpreter without textmad on its path loads the model and tokenizer and generates."""
    folder = tiny_run / "replace" / "gen-002" / "model"
    code = (
        "import sys, torch\n"
        "from transformers import AutoModelForCausalLM, AutoTokenizer\n"
        f"m = AutoModelForCausalLM.from_pretrained({str(folder)!r}); t = AutoTokenizer.from_pretrained({str(folder)!r})\n"
        "ids = t('The government', return_tensors='pt').input_ids\n"
        "out = m.generate(ids, max_new_tokens=5, do_sample=False)\n"
        "assert out.shape[1] > ids.shape[1]\n"
        "assert not any(k.startswith('textmad') for k in sys.modules)\n"
        "print(type(m).__name__, type(t).__name__)\n")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run([sys.executable, "-I", "-c", code], env={**env, "OMP_NUM_THREADS": "1"},
                          capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "LlamaForCausalLM" in proc.stdout


@pytest.mark.slow
def test_model_card_names_base_generation_arm_mix_and_metrics(tiny_run):
    card = (tiny_run / "fresh-50" / "gen-001" / "model" / "README.md").read_text(encoding="utf-8")
    metrics = json.loads((tiny_run / "fresh-50" / "gen-001" / "metrics.json").read_text())
    assert card.startswith("---\nlibrary_name: transformers\n")
    assert "arm fresh-50, generation 1" in card and "scratch Llama-style model" in card
    mix = metrics["mix"]
    for origin in ("real", "fresh", "synthetic"):
        assert f"| {origin} | {mix[origin]} |" in card
    assert f"| heldout_ppl | {metrics['metrics']['heldout_ppl']:.6g} | lower |" in card


@pytest.mark.slow
def test_lora_card_and_peft_loading(tmp_path):
    """An adapter folder: the card says PEFT and AutoPeftModelForCausalLM loads it from its config alone."""
    from peft import AutoPeftModelForCausalLM, LoraConfig, get_peft_model

    from fixtures import lee_lines, tiny_llama
    from textmad.cards import write_model_card
    from textmad.model import save_model
    from textmad.recipe import load_recipe

    base, tokenizer = tiny_llama(list(lee_lines()[:50]))
    base_dir = tmp_path / "base"
    save_model(base, tokenizer, base_dir)
    base.name_or_path = str(base_dir)  # what PEFT records as base_model_name_or_path
    model = get_peft_model(base, LoraConfig(r=2, target_modules=["q_proj", "v_proj"], task_type="CAUSAL_LM"))
    out = tmp_path / "model"
    save_model(model, tokenizer, out)
    recipe = load_recipe(ROOT / "recipes" / "tiny.yaml")
    metrics = {"arm": "replace", "mode": "replace", "generation": 1, "seed": 1, "mix": {
        "docs": 3, "real": 0, "fresh": 0, "synthetic": 3, "real_share": 0.0}, "metrics": {"heldout_ppl": 9.5},
        "evaluation": {"unavailable": {}}}
    write_model_card(out, recipe, metrics, "en")
    assert (out / "README.md").read_text().startswith("---\nlibrary_name: peft\n")
    loaded = AutoPeftModelForCausalLM.from_pretrained(str(out))
    assert type(loaded).__name__ == "PeftModelForCausalLM"


# ---------------------------------------------------------------- metrics through evaluate

def _gen(tiny_run, arm="replace", k=2):
    folder = tiny_run / arm / f"gen-00{k}"
    samples = [r["text"] for r in read_jsonl(folder / "samples.jsonl")]
    metrics = json.loads((folder / "metrics.json").read_text())["metrics"]
    return samples, metrics


@pytest.mark.slow
@pytest.mark.parametrize("family, settings", [
    ("diversity", {"sample_words": 100, "self_bleu_docs": 8}),
    ("tail", {"sample_words": 100, "head_ranks": 20, "torso_ranks": 200}),
    ("formality", {"sample_words": 100, "language": "en"}),
])
def test_evaluate_module_equals_the_run(tiny_run, family, settings):
    """evaluate.load on the shipped folder gives exactly the run's metrics.json values (tiny.yaml's settings)."""
    import evaluate

    import textmad
    from textmad.evaluate.modules import own_metrics

    samples, metrics = _gen(tiny_run)
    if family == "tail":
        settings = {**settings, "reference_texts": [r["text"] for r in read_jsonl(tiny_run / "gen-000" / "train_mix.jsonl")]}
    module = evaluate.load(textmad.evaluate_module(family))
    got = module.compute(predictions=samples, **settings)
    assert set(got) == set(own_metrics(family)) and got
    assert got == {k: metrics[k] for k in got}
    assert any(v is not None for v in got.values())


@pytest.mark.slow
def test_evaluate_module_bengali(tiny_run_bn):
    import evaluate

    import textmad

    samples, metrics = _gen(tiny_run_bn, "fresh-50", 1)
    got = evaluate.load(textmad.evaluate_module("formality")).compute(predictions=samples, language="bn",
                                                                       sample_words=100)
    assert got["sadhu_share"] == metrics["sadhu_share"] and got["honorific_share"] == metrics["honorific_share"]


def test_evaluate_module_cards_come_from_the_registry():
    import evaluate

    import textmad
    from textmad.evaluate import METRICS
    from textmad.evaluate.modules import FAMILIES, card, own_metrics

    for family in FAMILIES:
        path = textmad.evaluate_module(family)
        assert (open(os.path.join(path, "README.md"), encoding="utf-8").read() == card(family)), \
            "run `python -m textmad.evaluate.modules` after changing the registry"
        info = evaluate.load(path).description
        for name in own_metrics(family):
            assert METRICS[name].description in info


def test_evaluate_module_bad_input():
    import evaluate

    import textmad
    from textmad.errors import UserError

    with pytest.raises(ValueError, match="language 'sw' is not supported; accepted: en, bn"):
        evaluate.load(textmad.evaluate_module("formality")).compute(predictions=["habari ya leo"], language="sw")
    with pytest.raises(ValueError, match="reference_texts"):
        evaluate.load(textmad.evaluate_module("tail")).compute(predictions=["a b c"])
    with pytest.raises(UserError, match="accepted: diversity, tail, formality"):
        textmad.evaluate_module("perplexity")
