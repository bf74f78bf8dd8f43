"""A built wheel (what `pip install .` installs) carries the shipped recipes, and textmad run from it,
outside the repository, lists them and finds them by name."""
from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT, subprocess_env

SHIPPED = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "recipes").rglob("*.yaml"))


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """A wheel built from a copy of the source tree, so that the build leaves nothing in the checkout."""
    src = tmp_path_factory.mktemp("src")
    for name in ("pyproject.toml", "README.md", "textmad", "recipes", "corpora"):
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, src / name, symlinks=True, ignore=shutil.ignore_patterns("__pycache__"))
        elif path.exists():
            shutil.copy2(path, src / name)
    out = tmp_path_factory.mktemp("wheel")
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                           "--no-cache-dir", "-q", str(src), "-w", str(out)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    (found,) = out.glob("textmad-*.whl")
    return found


def test_the_wheel_holds_every_shipped_recipe(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert SHIPPED and {"textmad/" + p for p in SHIPPED} <= names
    assert "textmad/recipes/accelerate/one-gpu.yaml" in names
    assert {f"textmad/evaluate/modules/textmad_{f}/{n}" for f in ("diversity", "tail", "formality")
            for n in (f"textmad_{f}.py", "README.md")} <= names  # evaluate modules (issue 26)
    assert {f"textmad/corpora/{c}.yaml" for c in ("wiki-en", "lee-en", "quran-bn", "dasher-sw")} <= names


def test_textmad_from_the_wheel_lists_and_finds_shipped_recipes(wheel, tmp_path):
    site, elsewhere = tmp_path / "site", tmp_path / "elsewhere"
    zipfile.ZipFile(wheel).extractall(site)
    elsewhere.mkdir()
    env = subprocess_env(PYTHONPATH=str(site))  # the wheel's files come before the checkout

    def textmad(*argv):
        return subprocess.run([sys.executable, "-m", "textmad", *argv], cwd=elsewhere, env=env,
                              capture_output=True, text=True, timeout=300)

    where = subprocess.run([sys.executable, "-c", "import textmad; print(textmad.__file__)"], cwd=elsewhere,
                           env=env, capture_output=True, text=True).stdout
    assert where.startswith(str(site))
    listed = textmad("ls")
    assert listed.returncode == 0, listed.stderr
    recipes, corpora = listed.stdout.split("corpora:")
    assert "  wiki-en " in corpora and "  quran-bn " in corpora  # the cards are package data
    for path in SHIPPED:
        if "/accelerate/" not in path:
            assert f"  {Path(path).stem} " in recipes
    checked = textmad("validate", "-q", "quickstart", "recipes/tiny.yaml")
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.splitlines()[0].startswith("ok  quickstart  (quickstart:")
