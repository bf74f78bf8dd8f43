"""Every complete `textmad ...` command in README.md works when pasted in the order README gives them.

Commands are taken from README's code blocks and from its inline code (templates with placeholders
such as RECIPE or NAME are left out). The fast test parses each with textmad's own parser and
validates each recipe with its overrides; the slow one runs them all in order, in an empty folder,
with tiny-sized overrides (recipes/tiny.yaml's sizes, one generation) appended to every `run` and
`sweep`, so a command that only works out of order, or is refused there, fails here.
"""
from __future__ import annotations

import re
import shlex
import subprocess
import sys

import pytest
import yaml

from conftest import ROOT, TINY, subprocess_env
from textmad.cli import build_parser
from textmad.recipe import load_recipe

README = ROOT / "README.md"
PLACEHOLDER = re.compile(r"\b[A-Z][A-Z_]*\b|\.\.\.|\\\||\*")  # RECIPE, NAME, --seeds S, [--out DIR ...], seed-*
OWN_FILES = {"my.jsonl", "texts.jsonl"}  # stand for the reader's own text
# keys of tiny.yaml that locate or shape a recipe rather than size it
STRUCTURAL = {"name", "seed", "corpus.name", "model.kind", "loop.arms", "loop.generations"}


def readme_commands(text: str | None = None) -> list[list[str]]:
    """The complete `textmad` commands of README, in order, as argument lists (without 'textmad')."""
    text = README.read_text(encoding="utf-8") if text is None else text
    spans = []
    for block, inline in re.findall(r"```[a-z]*\n(.*?)```|`([^`]+)`", text, flags=re.S):
        block = re.sub(r"\s*#[^\n]*\\\n", " ", block.replace("\\\n", " ")) if block else block  # continued lines
        spans += [line.split("  #")[0] for line in block.splitlines()] if block else [" ".join(inline.split())]
    commands = []
    for span in spans:
        match = re.search(r"(?:^|&& |\s)textmad ((?:[a-z]+)(?: .*)?)$", span.strip())
        if not match or PLACEHOLDER.search(match.group(1)):
            continue
        argv = shlex.split(match.group(1))
        if OWN_FILES & set(argv):
            continue
        if len(argv) > 1 or argv[0] == "ls":  # a bare verb in prose ("`textmad report` says so") is not a command
            commands.append(argv)
    return commands


def tiny_overrides(recipe_path: str) -> list[str]:
    """recipes/tiny.yaml's sizes as overrides for another recipe (its own model when it is not scratch)."""
    def flat(data, prefix=""):
        for key, value in data.items():
            if isinstance(value, dict):
                yield from flat(value, f"{prefix}{key}.")
            else:
                yield f"{prefix}{key}", value
    kind = load_recipe(recipe_path, []).model.kind
    out = [f"{key}={yaml.safe_dump(value, default_flow_style=True).strip().removesuffix('...').strip()}"
           for key, value in flat(yaml.safe_load(TINY.read_text(encoding="utf-8")))
           if key not in STRUCTURAL and (kind == "scratch" or not key.startswith("model."))]
    return out + ["loop.generations=1"]


def sized(argv: list[str]) -> list[str]:
    if argv[0] in ("run", "sweep"):
        extra = tiny_overrides(argv[1])
        if argv[0] == "sweep" or "sweep" in load_recipe(argv[1], []).name:
            extra += ["seeds=[0,1]", "sweep.real_share=[0,0.5]"]
        overrides = [a for a in argv[2:] if "=" in a and not a.startswith("-")]
        options = [a for a in argv[2:] if a not in overrides]
        # after README's own overrides (the sizes win), before the options (`--print-commands` takes a value)
        return argv[:2] + overrides + extra + options
    return argv


def test_readme_commands_are_found():
    commands = readme_commands()
    verbs = {argv[0] for argv in commands}
    assert {"run", "inspect", "report", "compare", "sweep", "ls", "validate"} <= verbs
    assert ["run", "recipes/smollm2-cpu.yaml"] in commands
    # a command split over two lines of README is still found whole
    assert any(argv[:2] == ["run", "recipes/quickstart.yaml"] and "train.gen0_epochs=24" in argv for argv in commands)
    assert readme_commands("`textmad run RECIPE --seeds 0,1,2` and `textmad report` and\n```\ntextmad ls\n```") \
        == [["ls"]]


@pytest.mark.parametrize("argv", readme_commands(), ids=lambda argv: " ".join(argv)[:60])
def test_readme_command_parses_and_its_recipe_validates(argv):
    args = build_parser(argv[0]).parse_known_args(argv)[0]
    assert args.verb == argv[0]
    if argv[0] in ("run", "sweep"):
        load_recipe(argv[1], [a for a in argv[2:] if "=" in a and not a.startswith("-")])


# Commands that cannot run on a CI machine, with the test that covers each instead.
NOT_RUN = {"--launcher": "Slurm is not installed here (tests/test_cluster.py checks the submission)",
           "--push-to-hub": "needs the network and a token (tests/test_hf.py checks the refusal offline)",
           ">": "a shell redirection (tests/test_cluster.py runs the sbatch script)"}


@pytest.mark.slow
def test_readme_commands_run_in_order(tmp_path):
    env = subprocess_env()
    for argv in readme_commands():
        if set(NOT_RUN) & set(argv):
            continue
        command = sized(argv)
        proc = subprocess.run([sys.executable, "-m", "textmad", *command], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=1200)
        assert proc.returncode == 0, f"README's `textmad {' '.join(argv)}` failed:\n{proc.stderr[-3000:]}"
