"""`textmad compare` on real tiny runs (English and Bengali) and on a prepared corpus."""
from __future__ import annotations

import re

import pytest

from conftest import run_textmad
from textmad.io import read_jsonl


def table(out: str) -> list[dict]:
    """The printed table as dicts (columns are separated by two or more spaces; "—" marks no value)."""
    lines = out.strip().splitlines()
    assert set(lines[1].replace(" ", "")) == {"-"}
    header = re.split(r"\s{2,}", lines[0].strip())
    rows = [re.split(r"\s{2,}", line.strip()) for line in lines[2:]]
    assert all(len(r) == len(header) for r in rows), out
    return [dict(zip(header, r)) for r in rows]


def compare(*argv) -> list[dict]:
    status, out, err = run_textmad("compare", *map(str, argv))
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
            assert row["heldout_bpb"] == f"{expected['heldout_bpb']:.4g}"
            assert row["tail_coverage"] == f"{expected['tail_coverage']:.4g}"
    # bits per byte, not per-token perplexity: tokenizers of different languages do not share a scale
    assert "heldout_ppl" not in rows[0] and "heldout_bpb" in rows[0]
    # formality is each run's own measure over its own generation 0
    assert {r["formality ÷ gen-000"] for r in rows if r["arm"] == "gen-000" and r["lang"] == "en"} == {"1"}


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
    for m in ("distinct_1", "distinct_2", "head_coverage", "tail_coverage"):
        assert 0 < float(row[m]) <= 1, (m, row)
    assert row["formality ÷ gen-000"] == "1"


def test_corpus_beside_a_run_is_sampled_at_the_run_size(tiny_run):
    rows = compare(tiny_run, prepared(tiny_run))
    corpus = rows[-1]
    assert corpus["arm"] == "corpus (train)"
    # the tiny recipe samples 100 words; the corpus (~8,000 train words) is far below the 20,000 default
    assert float(corpus["distinct_1"]) > 0 and float(corpus["tail_coverage"]) >= 0


@pytest.mark.parametrize("argv,named", [
    (["/no/such/run"], "/no/such/run: neither a run directory"),
    (["RUN", "--sample-words", "5"], "--sample-words = 5; accepted: 100 or more"),
])
def test_bad_sources(tiny_run, argv, named):
    status, out, err = run_textmad("compare", *[str(tiny_run) if a == "RUN" else a for a in argv])
    assert status == 2 and out == "" and named in err
