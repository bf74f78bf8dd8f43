"""`textmad compare` on real tiny runs (English and Bengali) and on a prepared corpus."""
from __future__ import annotations

import re

import pytest

from conftest import run_textmad
from textmad.io import read_jsonl

pytestmark = pytest.mark.slow  # every test here reads the session's tiny runs (README: the fast test loop)


def table(out: str) -> list[dict]:
    """The printed table as dicts (columns are separated by two or more spaces; "—" marks no value)."""
    lines = out.strip().splitlines()
    assert set(lines[1].replace(" ", "")) == {"-"}
    header = re.split(r"\s{2,}", lines[0].strip())
    rows = [re.split(r"\s{2,}", line.strip()) for line in lines[2:]]
    assert all(len(r) == len(header) for r in rows), out
    return [dict(zip(header, r)) for r in rows]


def compare(*argv) -> list[dict]:
    status, out, err = run_textmad("compare", *map(str, argv), "--width", "1000")
    assert status == 0, err
    return table(out)


def test_runs_side_by_side_with_their_metrics(tiny_run, tiny_run_bn):
    rows = compare(tiny_run, tiny_run_bn)
    assert [(r["source"], r["lang"], r["arm"]) for r in rows] == [
        (run, lang, arm) for run, lang in (("tiny", "en"), ("tiny-bn", "bn"))
        for arm in ("gen-000", "replace", "fresh-50")]
    for run in (tiny_run, tiny_run_bn):
        metrics = read_jsonl(run / "metrics.jsonl")
        for row in (r for r in rows if r["source"] == run.name):
            arm = "replace" if row["arm"] == "gen-000" else row["arm"]
            k = int(row["generation"].removeprefix("gen-"))
            assert k == (0 if row["arm"] == "gen-000" else 2)
            expected = next(m for m in metrics if m["arm"] == arm and m["generation"] == k)
            assert float(row["heldout_bpc"]) == pytest.approx(expected["heldout_bpc"], abs=5e-4)
            assert float(row["tail_coverage"]) == pytest.approx(expected["tail_coverage"], abs=5e-7)
            gen0 = next(m for m in metrics if m["arm"] == arm and m["generation"] == 0)
            assert float(row["heldout_bpc_change"]) == pytest.approx(
                expected["heldout_bpc"] / gen0["heldout_bpc"] - 1, abs=5e-4)
    # bits per character and word, and each run's change from its own generation 0: not per-token
    # perplexity (tokenizers differ) and not bits per byte (a Bengali letter is three UTF-8 bytes)
    assert "heldout_ppl" not in rows[0] and "heldout_bpb" not in rows[0]
    assert {"heldout_bpc", "heldout_bpw", "heldout_bpc_change"} <= set(rows[0])
    # formality is each run's own measure over its own generation 0
    assert {r["formality ÷ gen-000"] for r in rows if r["arm"] == "gen-000" and r["lang"] == "en"} == {"1.000"}
    # one format per column: every cell of a column has the same number of decimals
    for column in ("heldout_bpc", "distinct_1", "tail_coverage"):
        assert len({len(r[column].partition(".")[2]) for r in rows}) == 1, column


def prepared(tiny_run):
    """The prepared corpus directory the tiny run read (the session's shared prepared folder)."""
    found = sorted((tiny_run.parents[2] / "prepared").glob("lee-en-*"))
    assert found, "the tiny run prepared no corpus"
    return found[0]


def test_prepared_corpus_gets_model_free_metrics(tiny_run):
    corpus = prepared(tiny_run)
    [row] = compare(corpus, "--sample-words", 1000)
    assert (row["source"], row["lang"], row["arm"]) == ("lee-en", "en", "corpus (train)")
    assert "heldout_bpb" not in row  # no model, no bits per byte
    for m in ("distinct_1", "distinct_2"):
        assert 0 < float(row[m]) <= 1, (m, row)
    assert "tail_coverage" not in row  # the train split would be its own tail reference
    assert row["formality ÷ gen-000"] == "1.000"


def test_corpus_beside_a_run_is_sampled_at_the_run_size(tiny_run):
    rows = compare(tiny_run, prepared(tiny_run))
    corpus = rows[-1]
    assert corpus["arm"] == "corpus (train)"
    # the tiny recipe samples 100 words; the corpus (~8,000 train words) is far below the 20,000 default
    assert float(corpus["distinct_1"]) > 0 and corpus["tail_coverage"] == "n/a"


def test_builtin_corpus_by_name_is_prepared_into_the_cache(tmp_path, monkeypatch):
    """`textmad compare lee-en`: a built-in corpus name, prepared on the fly as `textmad corpus stats` does."""
    monkeypatch.chdir(tmp_path)
    [row] = compare("lee-en", "--sample-words", 1000)
    assert (row["source"], row["arm"]) == ("lee-en", "corpus (train)") and float(row["distinct_1"]) > 0
    [cached] = (tmp_path / "prepared").glob("lee-en-*")
    # the same preparation as `corpus stats lee-en` (its cache folder) and as a prepared folder named by path
    status, out, _ = run_textmad("corpus", "stats", "lee-en")
    assert status == 0 and str(cached.relative_to(tmp_path)) in out
    assert compare(cached, "--sample-words", 1000) == [row]


@pytest.mark.parametrize("argv,named", [
    (["/no/such/run"], "/no/such/run: neither a run directory"),
    (["lee-enn"], "lee-enn: neither a run directory (recipe.yaml, gen-000/) nor a prepared corpus (manifest.json, "
                  "train.jsonl) nor a built-in corpus name"),
    (["RUN", "--sample-words", "5"], "--sample-words = 5; accepted: 100 or more"),
])
def test_bad_sources(tiny_run, argv, named):
    status, out, err = run_textmad("compare", *[str(tiny_run) if a == "RUN" else a for a in argv])
    assert status == 2 and out == "" and named in err


def test_export_formats_parse_back(tiny_run, tiny_run_bn, tmp_path):
    """CSV and JSON carry the run table's numbers at full precision (missing as empty / null)."""
    import csv
    import json

    expected = {(run.name, m["arm"], m["generation"]): m for run in (tiny_run, tiny_run_bn)
                for m in read_jsonl(run / "metrics.jsonl")}

    def check(source, arm, generation, row):
        key = (source, "replace" if arm == "gen-000" else arm, int(generation.removeprefix("gen-")))
        assert row["heldout_bpc"] == expected[key]["heldout_bpc"]
        assert row["distinct_2"] == expected[key]["distinct_2"]

    status, out, err = run_textmad("compare", str(tiny_run), str(tiny_run_bn), "--format", "json")
    assert status == 0, err
    rows = json.loads(out)
    assert len(rows) == 6
    for row in rows:
        check(row["source"], row["arm"], row["generation"], row)
    path = tmp_path / "out" / "compare.csv"
    status, out, err = run_textmad("compare", str(tiny_run), str(tiny_run_bn), "--format", "csv", "--out", str(path))
    assert status == 0 and f"wrote {path}" in out
    with open(path, encoding="utf-8", newline="") as f:
        parsed = list(csv.DictReader(f))
    assert [r["source"] for r in parsed] == [r["source"] for r in rows]
    for row in parsed:
        check(row["source"], row["arm"], row["generation"],
              {k: float(row[k]) for k in ("heldout_bpc", "distinct_2")})
    assert not list(path.parent.glob(".*tmp*"))  # written atomically: no temporary file left
    status, out, err = run_textmad("compare", str(tiny_run), "--format", "markdown")
    assert status == 0
    lines = out.strip().splitlines()
    assert lines[0].startswith("| source | lang | arm |") and set(lines[1]) <= {"|", "-"}
    assert all(line.startswith("| tiny | en |") for line in lines[2:])


@pytest.mark.parametrize("width", [60, 100])
def test_table_fits_the_terminal(tiny_run, tiny_run_bn, width):
    from textmad.report.text import display_width

    status, out, err = run_textmad("compare", str(tiny_run), str(tiny_run_bn), "--width", str(width))
    assert status == 0, err
    assert max(display_width(line) for line in out.splitlines()) <= width
    # every figure is still there: transposed (one line per metric) or cut into blocks of columns
    for m in ("heldout_bpc", "distinct_1", "tail_coverage"):
        assert m in out
    if width == 100:  # six rows fit transposed: a line per metric under the stacked source/lang/arm lines
        lines = out.splitlines()
        assert [line.split()[0] for line in lines[:4]] == ["source", "lang", "arm", "generation"]
        assert any(line.startswith("heldout_bpc ") for line in lines)


def test_seeds_of_one_recipe_are_one_row_with_intervals_and_paired_differences(tiny_run, tmp_path):
    """Three seeds (copies of the tiny run with known offsets): mean ± t interval per arm, and paired
    differences that call a difference real only when their interval excludes zero."""
    import json
    import shutil

    import yaml
    from scipy import stats as sps

    offsets = {0: 0.0, 1: 0.3, 2: -0.1}  # seed-to-seed spread, shared by both arms of a seed
    for seed, offset in offsets.items():
        run = tmp_path / "tiny" / f"seed-{seed}"
        shutil.copytree(tiny_run, run)
        recipe = yaml.safe_load((run / "recipe.yaml").read_text())
        recipe["seed"] = seed
        (run / "recipe.yaml").write_text(yaml.safe_dump(recipe))
        rows = read_jsonl(run / "metrics.jsonl")
        for row in rows:
            row["heldout_bpc"] = 2.0 + offset + (0.05 * row["generation"] if row["arm"] == "replace" else 0)
            # fresh-50 minus replace alternates in sign across seeds: no difference
            row["tail_coverage"] = 0.1 + (0.01 * (-1) ** seed if row["arm"] == "fresh-50" else 0)
        (run / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
        (run / "metrics.csv").unlink()
    status, out, err = run_textmad("compare", *(str(tmp_path / "tiny" / f"seed-{s}") for s in offsets),
                                   "--width", "1000")
    assert status == 0, err
    table_text, _, paired = out.partition("\n\nPaired differences")
    rows = table(table_text)
    assert [(r["source"], r["arm"]) for r in rows] == [("tiny (seeds 0 1 2)", a) for a in ("gen-000", "replace", "fresh-50")]
    replace = next(r for r in rows if r["arm"] == "replace")
    x = [2.0 + o + 0.1 for o in offsets.values()]
    half = (sps.t.interval(0.95, 2, loc=sum(x) / 3, scale=sps.sem(x))[1] - sum(x) / 3)
    assert replace["heldout_bpc"] == f"{sum(x) / 3:.4g} ± {half:.4g} (3)"
    lines = paired.splitlines()
    bpc = next(line for line in lines if "fresh-50 − replace, heldout_bpc" in line)
    assert "-0.1 ± 0 (3)" in bpc and "a difference (the 95% interval excludes 0)" in bpc
    tail = next(line for line in lines if "fresh-50 − replace, tail_coverage" in line)
    assert "not distinguishable from seed noise" in tail
    # programs get the mean, the interval bounds and n as numbers
    status, out, err = run_textmad("compare", *(str(tmp_path / "tiny" / f"seed-{s}") for s in offsets),
                                   "--format", "json")
    record = next(r for r in json.loads(out) if r["arm"] == "replace")
    assert record["n"] == 3 and record["heldout_bpc"] == pytest.approx(sum(x) / 3)
    assert record["heldout_bpc_low"] < record["heldout_bpc"] < record["heldout_bpc_high"]
