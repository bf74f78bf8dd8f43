"""Semantic diversity and MAUVE (issue 26) on hand-checkable cases, and their place in a run."""
from __future__ import annotations

import json

import numpy as np
import pytest

from conftest import run_textmad
from fixtures import lee_lines
from textmad.evaluate import semantic as sm

needs_mauve = pytest.mark.skipif(not sm.has_mauve(), reason=f"mauve-text not installed: {sm.INSTALL}")
needs_minilm = pytest.mark.skipif(not sm.has_minilm(), reason=f"all-MiniLM-L6-v2 wheel not installed: {sm.INSTALL}")


# ---------------------------------------------------------------- pure functions, by hand

def test_identical_documents():
    emb = np.tile([[0.3, -1.0, 2.0]], (5, 1))
    assert sm.mean_cosine_distance(emb) == pytest.approx(0.0, abs=1e-12)
    assert sm.vendi_score(emb) == pytest.approx(1.0)


def test_orthogonal_documents():
    emb = np.eye(4) * 3.0
    assert sm.mean_cosine_distance(emb) == pytest.approx(1.0)  # cos = 0 for every pair
    assert sm.vendi_score(emb) == pytest.approx(4.0)  # four distinct documents


def test_duplicated_documents():
    """Two orthogonal documents, each twice: pairs are 2 identical (distance 0) and 4 orthogonal (1) of 6;
    the Vendi score counts 2 distinct documents, not 4."""
    emb = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 2.0], [0.0, 5.0]])
    assert sm.mean_cosine_distance(emb) == pytest.approx(4 / 6)
    assert sm.vendi_score(emb) == pytest.approx(2.0)


def test_hand_computed_angle():
    """Two documents at 60 degrees: distance 1 - cos 60 = 0.5; K/n has eigenvalues 0.75 and 0.25."""
    emb = np.array([[1.0, 0.0], [0.5, np.sqrt(3) / 2]])
    assert sm.mean_cosine_distance(emb) == pytest.approx(0.5)
    assert sm.vendi_score(emb) == pytest.approx(np.exp(-(0.75 * np.log(0.75) + 0.25 * np.log(0.25))))
    assert sm.mean_cosine_distance(emb[:1]) is None


@needs_mauve
def test_mauve_identical_and_disjoint():
    rng = np.random.default_rng(0)
    p = rng.normal(size=(60, 8))
    assert sm.mauve_score(p, p.copy()) == pytest.approx(1.0)
    far = rng.normal(size=(60, 8)) + 50.0
    assert sm.mauve_score(p, far) < 0.05
    near = rng.normal(size=(60, 8))  # another sample of the same distribution
    assert sm.mauve_score(p, near) > 0.5


# ---------------------------------------------------------------- the English encoder

@pytest.mark.slow
@needs_minilm
def test_minilm_embeddings():
    texts = list(lee_lines()[:6])
    emb = sm.minilm().encode(texts)
    assert emb.shape == (6, 384)
    assert np.allclose(np.linalg.norm(emb, axis=1), 1.0, atol=1e-5)
    same = sm.minilm().encode([texts[0]] * 4)
    assert sm.mean_cosine_distance(same) == pytest.approx(0.0, abs=1e-6)
    assert sm.vendi_score(same) == pytest.approx(1.0, abs=1e-5)
    # a paraphrase sits closer than an unrelated sentence
    a, b, c = sm.minilm().encode(["The cat sat on the mat.", "A cat was sitting on the rug.",
                                  "Interest rates rose by half a percent."])
    assert a @ b > a @ c + 0.3


@pytest.mark.slow
@needs_minilm
@needs_mauve
def test_score_semantic_identical_and_duplicated_samples():
    from textmad.evaluate.score import score_semantic
    from textmad.recipe import Recipe

    recipe = Recipe()
    recipe.evaluate.semantic.sample_docs = 40
    docs = list(lee_lines()[:80])
    same = score_semantic(recipe, docs[:40], docs[:40], "en", None)
    assert same.values["mauve"] == pytest.approx(1.0)
    assert same.values["semantic_distance_dist_to_real"] == pytest.approx(0.0, abs=1e-9)
    assert same.info["semantic"]["documents"] == same.info["semantic"]["real_documents"] == 40
    assert "all-MiniLM-L6-v2" in same.info["semantic"]["encoder"]
    twice = score_semantic(recipe, docs[:20] * 2, docs[40:80], "en", None)
    # 20 distinct documents each twice: the Vendi score is that of the 20 alone (duplicates add nothing)
    alone = sm.vendi_score(sm.minilm().encode(docs[:20]))
    assert twice.values["vendi_score"] == pytest.approx(alone, rel=1e-4)
    assert twice.values["vendi_score"] < same.info["real"]["vendi_score"]
    short = score_semantic(recipe, docs[:1], docs, "en", None)
    assert short.values["mauve"] is None and "2 or more" in short.unavailable["mauve"]


def test_missing_extra_gives_null_with_install_command(monkeypatch):
    from textmad.evaluate.score import score_semantic
    from textmad.recipe import Recipe

    monkeypatch.setattr(sm, "has_minilm", lambda: False)
    docs = list(lee_lines()[:10])
    out = score_semantic(Recipe(), docs, docs, "en", None)
    assert all(v is None for v in out.values.values())
    assert all("pip install 'textmad[semantic]'" in r for r in out.unavailable.values())


@pytest.mark.slow
def test_eval_metrics_semantic_without_extra_is_an_error(tiny_run, monkeypatch):
    monkeypatch.setattr(sm, "has_minilm", lambda: False)
    status, out, err = run_textmad("eval", str(tiny_run), "--metrics", "semantic", "--name", "no-extra")
    assert status == 2 and "pip install 'textmad[semantic]'" in err
    assert not (tiny_run / "eval" / "no-extra").exists()


# ---------------------------------------------------------------- in a run

@pytest.mark.slow
@needs_minilm
@needs_mauve
def test_run_records_semantic_metrics_and_eval_recomputes_them(tiny_run):
    m = json.loads((tiny_run / "replace" / "gen-002" / "metrics.json").read_text())
    for name in ("semantic_distance", "vendi_score", "mauve", "semantic_distance_dist_to_real"):
        assert isinstance(m["metrics"][name], float), m["evaluation"]["unavailable"].get(name)
        assert m["about"][name]["family"] == "semantic"
    assert m["about"]["mauve"]["direction"] == "higher"
    info = m["evaluation"]["semantic"]
    assert "all-MiniLM-L6-v2" in info["encoder"] and info["documents"] == info["real_documents"] == 9
    assert 0 < m["metrics"]["semantic_distance"] <= 2 and 1 <= m["metrics"]["vendi_score"] <= 9
    status, out, err = run_textmad("eval", str(tiny_run), "--metrics", "semantic", "--name", "sem", "--arm", "replace")
    assert status == 0, err
    again = json.loads((tiny_run / "eval" / "sem" / "replace" / "gen-002" / "metrics.json").read_text())
    assert {k: again["metrics"][k] for k in ("semantic_distance", "vendi_score", "mauve")} == \
        {k: m["metrics"][k] for k in ("semantic_distance", "vendi_score", "mauve")}


@pytest.mark.slow
@needs_mauve
def test_bengali_run_uses_generation_0_hidden_states(tiny_run_bn):
    m = json.loads((tiny_run_bn / "fresh-50" / "gen-001" / "metrics.json").read_text())
    assert "generation-0 model" in m["evaluation"]["semantic"]["encoder"]
    assert isinstance(m["metrics"]["vendi_score"], float) and isinstance(m["metrics"]["mauve"], float)
