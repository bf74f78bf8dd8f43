"""`textmad inspect` on real tiny runs (English and Bengali): samples, one prompt across generations,
training-mix provenance, repeated n-gram highlighting and errors."""
from __future__ import annotations

import re
import shutil
from collections import Counter

import pytest

from conftest import run_textmad
from textmad.text import words
from textmad.io import read_jsonl, write_jsonl
from textmad.report.inspect import ANSI_MARKS, PLAIN_MARKS, highlight_lines, origin_label
from textmad.report.text import repeated_ngram_spans, visible


def inspect(*argv: str) -> str:
    status, out, err = run_textmad("inspect", *map(str, argv), "--color", "never", "--width", "90")
    assert status == 0, err
    return out


@pytest.mark.slow
@pytest.mark.parametrize("which", ["en", "bn"])
def test_samples_of_one_generation_appear_intact(which, request):
    run = request.getfixturevalue("tiny_run" if which == "en" else "tiny_run_bn")
    out = inspect(run, "--arm", "replace", "--gen", "1", "-n", "3")
    samples = read_jsonl(run / "replace" / "gen-001" / "samples.jsonl")[:3]
    for s in samples:
        assert f"[{s['id']}]" in out
        text = visible(s["text"])
        assert words(text), s
        # wrapping breaks only at whitespace: every word (a Bengali cluster with its signs) is unbroken
        for w in words(text):
            assert w in out, (w, s["id"])
    if which == "bn":
        assert re.search(r"[\u0980-\u09FF]{2,}", out)
    # the 4th sample is not shown with -n 3
    assert f"[{read_jsonl(run / 'replace' / 'gen-001' / 'samples.jsonl')[3]['id']}]" not in out


@pytest.mark.slow
def test_prompt_across_generations_in_order(tiny_run):
    out = inspect(tiny_run, "--prompt", "p000003", "--arm", "replace")
    headers = ["gen-000", "replace/gen-001", "replace/gen-002"]
    positions = [out.index(f"\n  {h}  (trained on") for h in headers]
    assert positions == sorted(positions)
    assert "fresh-50/" not in out
    bounds = positions + [len(out)]
    for i, (h, k) in enumerate(zip(headers, range(3))):
        folder = tiny_run / ("gen-000" if k == 0 else f"replace/gen-{k:03d}")
        sample = next(s for s in read_jsonl(folder / "samples.jsonl") if s["prompt_id"] == "p000003")
        section = out[bounds[i]:bounds[i + 1]]
        for w in words(visible(sample["text"])):
            assert w in section, (h, w)


@pytest.mark.slow
@pytest.mark.parametrize("arm,k", [("fresh-50", 2), ("replace", 1), (None, 0)])
def test_mix_summary_matches_train_mix(tiny_run, arm, k):
    folder = tiny_run / ("gen-000" if k == 0 else f"{arm}/gen-{k:03d}")
    rows = read_jsonl(folder / "train_mix.jsonl")
    docs, nwords = Counter(), Counter()
    for r in rows:
        docs[r["origin"]] += 1
        nwords[r["origin"]] += len(words(r["text"]))
    out = inspect(tiny_run, *(["--arm", arm] if arm else []), "--gen", k, "-n", "0")
    head = re.search(r"training mix of \S+: ([\d,]+) documents, ([\d,]+) words", out)
    assert (int(head[1].replace(",", "")), int(head[2].replace(",", ""))) == (len(rows), sum(nwords.values()))
    for origin in docs:
        line = next(line for line in out.splitlines() if line.strip().startswith(origin_label(origin)))
        numbers = re.findall(r"[\d,.]+%?", line[len("  ") + 34:])
        assert int(numbers[0].replace(",", "")) == docs[origin]
        assert int(numbers[2].replace(",", "")) == nwords[origin]
        assert float(numbers[3].rstrip("%")) == pytest.approx(100 * nwords[origin] / sum(nwords.values()), abs=0.05)
    if arm == "fresh-50":
        assert {o.split(":")[0] for o in docs} == {"fresh", "synthetic"}


@pytest.mark.parametrize("text,repeated", [
    ("the cat sat on the mat and the cat sat on the mat again", "the cat sat on the mat"),
    ("আমরা সবাই রাজা আমাদের এই রাজার রাজত্বে আমরা সবাই রাজা আমাদের", "আমরা সবাই রাজা আমাদের"),
])
def test_repeated_ngrams_are_marked(text, repeated):
    spans = repeated_ngram_spans(text, 4)
    assert [text[s:e] for s, e in spans] == [repeated, repeated]
    line = "".join(highlight_lines(text, spans, 200, PLAIN_MARKS))
    assert line.count(f"⟦{repeated}⟧") == 2
    assert repeated_ngram_spans(text, 5 + len(repeated.split())) == []
    # a narrow width wraps inside a span: each line closes its marks and the words stay whole
    lines = highlight_lines(text, spans, 14, PLAIN_MARKS)
    assert len(lines) > 2 and all(line.count("⟦") == line.count("⟧") for line in lines)
    assert " ".join(line.replace("⟦", "").replace("⟧", "") for line in lines) == text


@pytest.mark.slow
def test_cli_marks_a_repeated_sample_and_hides_control_characters(tiny_run, tmp_path):
    run = tmp_path / "tiny"
    shutil.copytree(tiny_run, run, ignore=shutil.ignore_patterns("model"))
    path = run / "replace" / "gen-002" / "samples.jsonl"
    samples = read_jsonl(path)
    samples[0]["text"] = "one two three four five \x1b[31mred one two three four six"
    write_jsonl(path, samples)
    out = inspect(run, "--arm", "replace", "-n", "1")
    assert "⟦one two three four⟧ five \ufffd[31mred ⟦one two three four⟧ six" in out
    assert "\x1b" not in out
    status, coloured, _ = run_textmad("inspect", str(run), "--arm", "replace", "-n", "1", "--color", "always")
    assert status == 0 and f"{ANSI_MARKS[0]}one two three four{ANSI_MARKS[1]}" in coloured and "⟦" not in coloured


@pytest.mark.slow
@pytest.mark.parametrize("argv,named,accepted", [
    (["--arm", "bogus"], "'bogus'", "replace, fresh-50"),
    (["--arm", "replace", "--gen", "7"], "generation 7", "gen-000, gen-001, gen-002"),
    (["--gen", "-1"], "--gen = -1", "--gen >= 0"),
    (["--prompt", "nope"], "'nope'", "p000000, p000001"),
])
def test_bad_arm_gen_prompt(tiny_run, argv, named, accepted):
    status, out, err = run_textmad("inspect", str(tiny_run), *argv)
    assert status == 2
    assert out == ""
    assert named in err and accepted in err


def test_not_a_run(tmp_path):
    status, _, err = run_textmad("inspect", str(tmp_path))
    assert status == 2 and "not a run directory" in err
