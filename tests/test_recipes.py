"""Every shipped recipe loads, validates and begins with the command that runs it; the commands in
its header parse; the accelerate configs are valid; the pools of built-in corpora fit each recipe."""
from __future__ import annotations

import shlex
from pathlib import Path

import pytest
import yaml

from textmad.cli import build_parser
from textmad.errors import UserError
from textmad.recipe import load_recipe

ROOT = Path(__file__).resolve().parents[1]
RECIPES = sorted((ROOT / "recipes").glob("*.yaml"))
ACCELERATE_CONFIGS = sorted((ROOT / "recipes" / "accelerate").glob("*.yaml"))
SHIPPED = {"quickstart", "quickstart-bn", "smollm2-lora", "tiny"}


def header(path: Path) -> list[str]:
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        lines.append(line.lstrip("#").strip())
    return lines


def commands_in(path: Path) -> list[list[str]]:
    """Every `textmad run ...` command in the header, as the argument list after `textmad`."""
    found = []
    for line in header(path):
        words = shlex.split(line)
        if "textmad" in words and words[words.index("textmad") + 1:][:1] == ["run"]:
            found.append(words[words.index("textmad") + 1:])
    return found


def test_the_shipped_recipes_are_there():
    assert SHIPPED <= {p.stem for p in RECIPES}
    assert {p.stem for p in ACCELERATE_CONFIGS} == {"one-gpu", "multi-gpu"}


@pytest.mark.parametrize("path", RECIPES, ids=lambda p: p.stem)
def test_recipe_begins_with_its_command_and_a_description(path):
    lines = header(path)
    assert len(lines) >= 2, f"{path.name}: needs a launch command line and a description line"
    first = shlex.split(lines[0])
    assert first[0] in ("textmad", "accelerate"), f"{path.name}: line 1 is not a command: {lines[0]}"
    assert f"recipes/{path.name}" in first and "run" in first
    assert lines[1] and not lines[1].startswith(("textmad ", "accelerate ")), f"{path.name}: line 2 describes it"


@pytest.mark.parametrize("path", RECIPES, ids=lambda p: p.stem)
def test_every_command_in_the_header_parses_and_validates(path):
    commands = commands_in(path)
    assert commands, f"{path.name}: no `textmad run` command in its header"
    for argv in commands:
        args = build_parser().parse_args(argv)
        assert Path(args.recipe).name == path.name
        recipe = load_recipe(ROOT / args.recipe, args.overrides)
        assert recipe.loop.arms


@pytest.mark.parametrize("path", ACCELERATE_CONFIGS, ids=lambda p: p.stem)
def test_accelerate_configs_are_valid_bf16_and_name_their_command(path):
    from accelerate.commands.config.config_args import ClusterConfig

    config = ClusterConfig.from_yaml_file(str(path))  # rejects unknown keys
    assert config.mixed_precision == "bf16" and not config.use_cpu
    first = shlex.split(header(path)[0])
    assert first[:2] == ["accelerate", "launch"] and f"recipes/accelerate/{path.name}" in first
    assert (ROOT / first[-1]).is_file(), f"{path.name}: the recipe it launches does not exist"
    multi = yaml.safe_load(path.read_text(encoding="utf-8"))["num_processes"] > 1
    assert (config.distributed_type == "MULTI_GPU") == multi


@pytest.mark.slow  # prepares the real corpus of every shipped recipe: half a minute of CPU
@pytest.mark.parametrize("path", RECIPES, ids=lambda p: p.stem)
def test_the_pools_of_the_corpus_fit_every_arm(path, tmp_path_factory):
    """plan_arms checks before training that the train, fresh and sample pools are big enough."""
    from textmad.corpus import prepare
    from textmad.mix import plan_arms

    for argv in commands_in(path):
        args = build_parser().parse_args(argv)
        recipe = load_recipe(ROOT / args.recipe, args.overrides)
        recipe.corpus.prepared_dir = str(tmp_path_factory.getbasetemp() / "prepared")
        if recipe.corpus.source is not None and recipe.corpus.source.kind == "hub":
            pytest.skip(f"{recipe.corpus.source.name}: a hub dataset (needs the network)")
        try:
            corpus = prepare(recipe.corpus)
        except UserError as e:
            if "not installed" in str(e):
                pytest.skip(f"{recipe.corpus.name}: {e}")
            raise
        plan_arms(recipe, len(corpus.split("train")), len(corpus.split("fresh")), path.name)
