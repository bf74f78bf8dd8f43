"""Issue 22, "hardening, second pass": each case that crashed, lost a file or wrote through a link,
now a clear error (exit 2, the file or key named, nothing written) or an exact recovery."""
from __future__ import annotations

from pathlib import Path

import pytest

from conftest import run_textmad
from textmad.recipe import load_recipe

MINIMAL = "name: victim\nloop:\n  arms:\n    - mode: replace\n"


def _tree(path: Path) -> list[str]:
    return sorted(str(p.relative_to(path)) for p in path.rglob("*"))


# ---------------------------------------------------------------- recipes (items 9-13, 17)

RECIPE_CASES = [
    # 9: a repeated key is refused, naming the key and both lines
    ("duplicate-key", "seed: 0\nseed: 7\n" + MINIMAL, [], ["the key 'seed' is given twice (lines 1 and 2)"]),
    ("duplicate-nested-key", "loop:\n  generations: 3\n  generations: 2\n  arms: [{mode: replace}]\n", [],
     ["the key 'loop.generations' is given twice (lines 2 and 3)"]),
    # 10: one arm rule for validate and run
    ("real-share-on-replace", MINIMAL, ["loop.arms=[{mode: replace, real_share: 0.5}]"],
     ["loop.arms[0].real_share = 0.5 has no meaning for mode 'replace'"]),
    ("real-share-on-accumulate", MINIMAL, ["loop.arms=[{mode: accumulate, real_share: [0.1, 0.2]}]",
                                           "loop.generations=2"], ["loop.arms[0].real_share"]),
    # 11: a 5000-digit integer reaches its key's bounds
    ("5000-digit-seed", MINIMAL + "seed: " + "7" * 5000 + "\n", [],
     ["seed = <an integer of 5000 digits> is out of range; accepted: [0, 4294967295]"]),
    ("5000-digit-override", MINIMAL, ["loop.generations=" + "7" * 5000],
     ["loop.generations = <an integer of 5000 digits> is out of range; accepted: [1, 1000]"]),
    # 12: the override is blamed, not the recipe file
    ("override-empty-key", MINIMAL, ["=x"], ["override '=x': the key before '=' is empty"]),
    ("override-unknown-key", MINIMAL, ["trian.epochs=2"], ["override 'trian.epochs=2': the recipe has no key "
                                                           "'trian'; did you mean 'train'?"]),
    # 13: a long list written out names its key, and says nothing of aliases
    ("list-written-out", "loop:\n  generations: 1\n  arms:\n    - mode: augment\n      real_share: ["
     + ", ".join(["0.5"] * 200_000) + "]\n", [], ["loop.arms[0].real_share holds more than 100000 values"]),
]


@pytest.mark.parametrize("command", ["validate", "run"])
@pytest.mark.parametrize("text,overrides,expected", [c[1:] for c in RECIPE_CASES], ids=[c[0] for c in RECIPE_CASES])
def test_bad_recipe_is_refused_by_validate_and_run_alike(tmp_path, command, text, overrides, expected):
    recipe = tmp_path / "r.yaml"
    recipe.write_text(text, encoding="utf-8")
    locations = [f"output_dir={tmp_path / 'runs'}", f"corpus.prepared_dir={tmp_path / 'prepared'}",
                 f"model.cache_dir={tmp_path / 'cache'}"]
    before = _tree(tmp_path)
    status, out, err = run_textmad(command, str(recipe), *locations, *overrides)
    assert status == 2 and "Traceback" not in err, err
    for part in expected:
        assert part in err, err
    assert "through aliases" not in err
    if overrides and "override" in expected[0]:
        assert f"{recipe}:" not in err, "an override's mistake is not the recipe file's"
    assert _tree(tmp_path) == before, "nothing written"


def test_every_path_key_expands_the_home_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    recipe = tmp_path / "r.yaml"
    recipe.write_text(MINIMAL + "output_dir: ~/runs\n", encoding="utf-8")
    r = load_recipe(recipe, ["corpus.prepared_dir=~/prepared", "model.cache_dir=~/cache",
                             "corpus.source={kind: local, path: ~/text.txt}"])
    assert r.output_dir == str(tmp_path / "runs") and r.run_dir == tmp_path / "runs" / "victim"
    assert r.corpus.prepared_dir == str(tmp_path / "prepared") and r.model.cache_dir == str(tmp_path / "cache")
    assert r.corpus.source.path == str(tmp_path / "text.txt")
