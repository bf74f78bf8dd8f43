"""`textmad eval` on a run directory, a generation, a prepared corpus and plain files."""
import csv
import json

import pytest
import yaml

from fixtures import lee_lines, tiny_llama
from textmad.cli import main
from textmad.evaluate.cli import fitted_sample
from textmad.io import read_json, read_jsonl, write_json, write_jsonl, write_text
from textmad.text import tokens


def lee_docs():
    return list(lee_lines())


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    """A finished run written by hand in the layout of DESIGN.md: gen-000 and replace/gen-001."""
    import torch

    torch.set_num_threads(1)
    tmp = tmp_path_factory.mktemp("evalrun")
    docs = lee_docs()[:80]
    write_jsonl(tmp / "source.jsonl", [{"text": d} for d in docs])
    recipe = {"name": "r", "output_dir": str(tmp), "seed": 0,
              "corpus": {"name": "lee-local", "language": "en", "prepared_dir": str(tmp / "prepared"),
                         "source": {"kind": "local", "path": str(tmp / "source.jsonl"), "format": "jsonl"},
                         "min_chars": 20, "heldout_share": 0.25, "fresh_share": 0.0},
              "loop": {"generations": 1, "arms": [{"mode": "replace"}]},
              "train": {"seq_len": 32},
              "evaluate": {"tail": {"sample_words": 300, "head_ranks": 20, "torso_ranks": 100},
                           "diversity": {"sample_words": 300, "self_bleu_docs": 5},
                           "perplexity": {"max_docs": 4, "batch_size": 4}}}
    run = tmp / "r"
    write_text(run / "recipe.yaml", yaml.safe_dump(recipe))
    write_json(run / "corpus.json", {"language": "en"})
    for k, folder, samples in [(0, run / "gen-000", docs[:30]),
                               (1, run / "replace" / "gen-001", [" ".join(docs[0].split()[:20] * 2)] * 20)]:
        model, tokenizer = tiny_llama(docs, vocab_size=300, hidden_size=16, layers=1, heads=2, seed=k,
                                      eos_token="<pad>")
        model.save_pretrained(folder / "model")
        tokenizer.save_pretrained(folder / "model")
        write_jsonl(folder / "samples.jsonl", [{"id": str(i), "text": t} for i, t in enumerate(samples)])
        write_jsonl(folder / "train_mix.jsonl", [{"id": str(i), "origin": "real", "text": t}
                                                 for i, t in enumerate(docs[30:])])
        write_json(folder / "metrics.json", {"arm": "gen-000" if k == 0 else "replace", "mode": "replace",
                                             "generation": k, "seed": k, "metrics": {"heldout_ppl": -1.0}})
        write_text(folder / "DONE", "x\n")
    return run


@pytest.mark.slow
def test_eval_run_writes_beside_the_run_and_replace_rewrites_it(run_dir, capsys):
    """A run directory is the record of what happened: eval writes RUN/eval/NAME/ unless --replace."""
    import transformers

    before = {p: p.read_bytes() for p in run_dir.rglob("metrics.json")}
    transformers.utils.logging.enable_progress_bar()
    assert main(["eval", str(run_dir), "--name", "again", "--format", "json",
                 "--out", str(run_dir.parent / "eval.json")]) == 0
    # Hugging Face's loading bars are silenced, as README says (one bar per model folder otherwise)
    assert not transformers.utils.logging.is_progress_bar_enabled()
    assert {p: p.read_bytes() for p in run_dir.rglob("metrics.json") if "eval" not in p.parts} == before
    assert not (run_dir / "metrics.csv").exists()
    out = run_dir / "eval" / "again"
    g0 = read_json(out / "gen-000" / "metrics.json")
    g1 = read_json(out / "replace" / "gen-001" / "metrics.json")
    assert g1["scored"] == str(run_dir / "replace" / "gen-001")
    m0, m1 = g0["metrics"], g1["metrics"]
    assert m0["heldout_ppl"] > 1 and m0["heldout_bpb"] > 0 and m0["heldout_bpc"] > 0 and m0["gen0_ppl"] > 1
    assert m0["tail_drop_vs_gen0"] == 0.0
    assert m1["tail_drop_vs_gen0"] > 0 and m1["distinct_4"] < m0["distinct_4"]
    assert m1["repeated_4gram_share"] > m0["repeated_4gram_share"]
    assert g1["evaluation"]["sample"]["seed"] == 0 and g1["about"]["heldout_ppl"]["direction"] == "lower"
    # the perplexity window is the recipe's, and generation 0's held-out perplexity is the loop's figure
    assert g0["evaluation"]["perplexity"]["heldout"]["window"] == 32
    rows = read_jsonl(out / "metrics.jsonl")
    assert [(r["arm"], r["generation"]) for r in rows] == [("replace", 0), ("replace", 1)]
    assert rows[1]["self_bleu"] == m1["self_bleu"]
    with open(out / "metrics.csv") as f:
        assert len(list(csv.DictReader(f))) == 2
    assert set(json.loads((run_dir.parent / "eval.json").read_text())) == {"gen-000", "replace/gen-001"}
    printed = capsys.readouterr().out
    assert "replace/gen-001" in printed and str(out) in printed and "unchanged" in printed
    assert main(["eval", str(run_dir), "--name", "again"]) == 2  # never overwrites an earlier evaluation
    # --replace: the run's own files, old metrics of other families kept
    assert main(["eval", str(run_dir), "--replace"]) == 0
    replaced = read_json(run_dir / "replace" / "gen-001" / "metrics.json")
    assert replaced["metrics"] == {**replaced["metrics"], **m1} and replaced["about"] == g1["about"]
    assert len(read_jsonl(run_dir / "metrics.jsonl")) == 2
    assert "--replace" in capsys.readouterr().out


@pytest.mark.slow
def test_eval_one_generation(run_dir):
    folder = run_dir / "replace" / "gen-001"
    assert main(["eval", str(folder), "--name", "one"]) == 0
    assert read_json(run_dir / "eval" / "one" / "replace" / "gen-001" / "metrics.json")["metrics"][
        "tail_drop_vs_gen0"] > 0


@pytest.mark.slow
def test_eval_prepared_corpus_and_files(run_dir, tmp_path, capsys):
    from textmad.corpus import prepare
    from textmad.recipe import load_recipe

    corpus = prepare(load_recipe(run_dir / "recipe.yaml").corpus)
    assert main(["eval", str(corpus.dir), "--sample-words", "300", "--format", "json",
                 "--out", str(tmp_path / "c.json")]) == 0
    result = next(iter(read_json(tmp_path / "c.json").values()))
    assert result["metrics"]["distinct_1"] > 0 and "heldout_ppl" not in result["metrics"]
    assert result["evaluation"]["notes"][0].startswith("model-free metrics only")
    # a corpus is not its own tail reference: no head coverage of 1.0 by construction
    assert result["metrics"]["head_coverage"] is None
    assert "by construction" in result["evaluation"]["unavailable"]["head_coverage"]
    capsys.readouterr()
    bn = tmp_path / "bn.txt"
    bn.write_text("\n\n".join(["সে তাহার বাড়িতে গিয়া দেখিল যে সকলে বসিয়া আছে।"] * 30), encoding="utf-8")
    assert main(["eval", str(bn), "--language", "bn", "--sample-words", "100", "--format", "json"]) == 0
    (out,) = json.loads(capsys.readouterr().out).values()
    assert out["metrics"]["sadhu_share"] == 1.0 and out["metrics"]["formality_f"] is None
    assert out["metrics"]["tail_coverage"] is None and "--reference" in out["evaluation"]["unavailable"]["tail_coverage"]
    assert out["evaluation"]["tail_reference"]["reference"] == "none"
    assert main(["eval", str(tmp_path / "missing.txt")]) == 2


@pytest.mark.slow
def test_eval_file_against_a_reference(run_dir, tmp_path, capsys):
    from textmad.corpus import prepare
    from textmad.recipe import load_recipe

    corpus = prepare(load_recipe(run_dir / "recipe.yaml").corpus)
    samples = run_dir / "replace" / "gen-001" / "samples.jsonl"
    assert main(["eval", str(samples), "--reference", str(corpus.dir), "--sample-words", "300",
                 "--format", "json"]) == 0
    (out,) = json.loads(capsys.readouterr().out).values()
    assert out["evaluation"]["tail_reference"]["reference"] == "lee-local: train split"
    assert out["evaluation"]["tail_reference"]["real_baseline"] == "lee-local: held-out split"
    assert 0 <= out["metrics"]["tail_coverage"] < 1 and out["metrics"]["formality_lexical"] is not None
    assert main(["eval", str(samples), "--reference", str(samples)]) == 2
    assert "its own tail reference" in capsys.readouterr().err
    # people get a table with the references and the reasons for n/a; programs get CSV at full precision
    assert main(["eval", str(samples), "--reference", str(corpus.dir), "--sample-words", "300"]) == 0
    printed = capsys.readouterr().out
    assert "tail reference: lee-local: train split" in printed and "n/a (" in printed
    assert max(len(line) for line in printed.splitlines()) <= 100
    assert main(["eval", str(samples), "--reference", str(corpus.dir), "--sample-words", "300",
                 "--format", "csv", "--out", str(tmp_path / "e.csv")]) == 0
    import csv
    (row,) = list(csv.DictReader(open(tmp_path / "e.csv", encoding="utf-8")))
    assert float(row["tail_coverage"]) == out["metrics"]["tail_coverage"] and row["source"] == samples.name


def test_eval_bad_jsonl_is_a_clean_error(tmp_path, capsys):
    bad = tmp_path / "bad.jsonl"
    write_jsonl(bad, [{"text": "a real sentence of words"}, {"text": 42}])
    assert main(["eval", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "bad.jsonl:2" in err and "int" in err and "Traceback" not in err


@pytest.mark.slow
def test_eval_file_against_a_builtin_corpus_by_name(run_dir, tmp_path, capsys, monkeypatch):
    """`--reference lee-en` names a built-in corpus: it is prepared into the cache (here tmp_path/prepared)."""
    monkeypatch.chdir(tmp_path)
    samples = run_dir / "replace" / "gen-001" / "samples.jsonl"
    assert main(["eval", str(samples), "--reference", "lee-en", "--sample-words", "300", "--format", "json"]) == 0
    (out,) = json.loads(capsys.readouterr().out).values()
    assert out["evaluation"]["tail_reference"]["reference"] == "lee-en: train split"
    assert list((tmp_path / "prepared").glob("lee-en-*/manifest.json"))
    assert main(["eval", str(samples), "--reference", "lee-en", "--sample-words", "20000"]) == 0  # too few words
    assert "fewer than the 20,000-word samples, so the sample-based metrics are n/a; give --sample-words 800" \
        in capsys.readouterr().err
    assert main(["eval", str(samples), "--reference", "lee-enn"]) == 2
    err = capsys.readouterr().err
    assert "not a built-in corpus" in err and "lee-en" in err


def test_fitted_sample():
    assert fitted_sample(20000, 14079, None) == 14000
    assert fitted_sample(20000, 14079, 5542) == 5500  # the real baseline's equal-size sample must fit too
    assert fitted_sample(20000, 30000, 40780) == 20000 and fitted_sample(20000, 20000, None) == 20000
    assert fitted_sample(300, 99, None) == 0


def test_eval_file_at_its_defaults_fits_the_sample_to_the_text(tmp_path, capsys, monkeypatch):
    """A 14,000-word text at the defaults: samples as large as the text and wiki-en's held-out split allow,
    the size used printed, in the table's notes and in the results; a size asked for is kept."""
    monkeypatch.chdir(tmp_path)
    text = tmp_path / "lee.txt"
    docs, n = [], 0
    for line in lee_lines():
        docs.append(line)
        n += len(tokens(line))
        if n >= 14079:
            break
    text.write_text("\n\n".join(docs), encoding="utf-8")
    assert main(["eval", str(text), "--reference", "wiki-en", "--format", "json"]) == 0
    captured = capsys.readouterr()
    (out,) = json.loads(captured.out).values()
    size = n // 100 * 100
    sample = out["evaluation"]["sample"]
    assert sample["tail_words"] == sample["diversity_words"] == size
    assert f"samples of {size:,} words, not the default 20,000: {text} has {n:,} words" in captured.err
    assert any(f"samples of {size:,} words" in note for note in out["evaluation"]["notes"])
    assert out["evaluation"]["tail_reference"]["reference"] == "wiki-en: train split"
    for metric in ("tail_coverage", "tail_coverage_vs_real", "distinct_4", "self_bleu_dist_to_real"):
        assert out["metrics"][metric] is not None, (metric, out["evaluation"]["unavailable"].get(metric))
    assert main(["eval", str(text), "--reference", "wiki-en"]) == 0
    assert f"samples: {size:,} words (tail, diversity)" in capsys.readouterr().out
    assert main(["eval", str(text), "--reference", "wiki-en", "--sample-words", "20000", "--format", "json"]) == 0
    captured = capsys.readouterr()
    (out,) = json.loads(captured.out).values()
    assert out["evaluation"]["sample"]["tail_words"] == 20000 and out["metrics"]["tail_coverage"] is None
    assert f"give --sample-words {size}" in captured.err


@pytest.mark.slow
def test_eval_run_prints_its_expected_time_and_no_loading_bars(tiny_run, tmp_path):
    """`textmad eval RUN` in a fresh process, as a user runs it: an estimate first, from the times the run
    recorded, the progress on every generation's line, and none of Hugging Face's "Loading weights" bars."""
    import shutil
    import subprocess
    import sys

    from conftest import subprocess_env

    run = shutil.copytree(tiny_run, tmp_path / "tiny")
    done = subprocess.run([sys.executable, "-m", "textmad", "eval", str(run), "--name", "again", "--format", "csv",
                           "--out", str(tmp_path / "e.csv")], capture_output=True, text=True, env=subprocess_env())
    assert done.returncode == 0, done.stderr
    assert "Loading weights" not in done.stdout + done.stderr
    lines = done.stdout.splitlines()
    recorded = [read_json(p).get("timings") for p in run.rglob("gen-*/metrics.json") if "eval" not in p.parts]
    assert len(recorded) == 5 and all(recorded)
    assert lines[0].startswith(f"textmad eval {run}: 5 generation(s); estimate on this machine: ")
    assert "from the evaluation and model-loading times the run recorded" in lines[0]
    assert [line.split("[")[-1].split(" ")[0] for line in lines[1:6]] == [f"{k}/5" for k in range(1, 6)]
    assert "at most" not in lines[0]
    # --metrics narrows the families; the recorded time is every family's, so the estimate says it is a bound
    narrowed = subprocess.run([sys.executable, "-m", "textmad", "eval", str(run), "--name", "tail-only", "--metrics",
                               "tail", "--format", "csv", "--out", str(tmp_path / "t.csv")], capture_output=True,
                              text=True, env=subprocess_env())
    assert narrowed.returncode == 0, narrowed.stderr
    assert "(at most: that is every family's time, and --metrics tail leaves some out" in narrowed.stdout.splitlines()[0]


def test_rescoring_seconds_by_hand():
    from textmad.budget import rescoring_seconds

    # generation 0's "load" built the base model (a tokenizer trained, weights initialised): not counted
    timings = [(0, {"load": 4.0, "evaluate": 6.0}), (1, {"load": 0.5, "evaluate": 1.5}), (2, None)]
    assert rescoring_seconds(timings) == pytest.approx((6.0 + 2.0) / 2 * 3)
    assert rescoring_seconds([(1, None)]) is None
