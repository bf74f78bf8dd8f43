"""Loading a recipe: safe YAML, overrides, shipped recipes by name.

A recipe is data, never code: it is parsed with a safe YAML loader (no Python tags; aliases may not
expand beyond a small recipe's size; a key may appear once per mapping), then built into the schema's
dataclasses and checked (``checks.validate``) before anything is written.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from textmad.recipe.checks import add_sweep_arms, validate
from textmad.recipe.schema import MAX_YAML_NODES, Recipe, RecipeError, _build, show

# Shipped recipes: package data, so `textmad ls` and `textmad run NAME` work from a wheel too.
SHIPPED_RECIPES = Path(__file__).resolve().parent.parent / "recipes"


class RecipeLoader(yaml.SafeLoader):
    """SafeLoader that reads 1e-4, 3E-4 and 1e6 as floats (YAML 1.1 wants a dot and a signed exponent)."""


RecipeLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9_]+)[eE][-+]?[0-9]+$"),
    list("-+0123456789."))


def _expanded_size(node, sizes: dict, open_nodes: set, source: str) -> int:
    """How many values ``node`` becomes once every alias is expanded, counted on the graph (no expansion)."""
    key = id(node)
    if key in sizes:
        return sizes[key]
    if key in open_nodes:
        raise RecipeError(f"{source}: an alias (*name) refers to a value that contains it; a recipe is a tree")
    open_nodes.add(key)
    children = []
    if isinstance(node, yaml.SequenceNode):
        children = node.value
    elif isinstance(node, yaml.MappingNode):
        children = [n for pair in node.value for n in pair]
    total = 1
    for child in children:
        total += _expanded_size(child, sizes, open_nodes, source)
        if total > MAX_YAML_NODES:
            break
    open_nodes.discard(key)
    sizes[key] = total
    return total


def load_yaml(text: str, source: str):
    """Parse one YAML document with RecipeLoader, for recipe files and override values alike."""
    loader = RecipeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if _expanded_size(node, {}, set(), source) > MAX_YAML_NODES:
            raise RecipeError(f"{source}: the YAML expands to more than {MAX_YAML_NODES} values through "
                              f"aliases (*name); a recipe is small: write the values out")
        return loader.construct_document(node)
    except RecipeError:
        raise
    except yaml.YAMLError as e:
        raise RecipeError(f"{source}: not valid YAML: {e}") from None
    except RecursionError:
        raise RecipeError(f"{source}: the YAML is nested too deeply to be a recipe") from None
    except ValueError as e:  # int() of a number beyond Python's 4300-digit limit
        raise RecipeError(f"{source}: a value cannot be read: {show(str(e), 120)}") from None
    finally:
        loader.dispose()


def _parse_override(text: str) -> tuple[list[str], Any]:
    if "=" not in text:
        raise RecipeError(f"override {show(text)}: expected KEY.SUB=VALUE, for example train.epochs=2")
    key, raw = text.split("=", 1)
    value = load_yaml(raw, f"override {show(text)}") if raw.strip() else ""
    return key.strip().split("."), value


def apply_overrides(data: dict, overrides: list[str]) -> dict:
    """Apply dotted ``key.sub=value`` overrides to the raw recipe mapping (values parsed as YAML)."""
    for text in overrides:
        path, value = _parse_override(text)
        node = data
        for part in path[:-1]:
            if not isinstance(node.get(part), dict):
                node[part] = {}
            node = node[part]
        node[path[-1]] = value
    return data


def recipe_path(path: str | Path) -> Path:
    """``path``, or the shipped recipe it names when no such file exists: `quickstart`, `quickstart.yaml`
    and `recipes/quickstart.yaml` (the command in each recipe's header) all work after `pip install`."""
    path = Path(path)
    if path.exists() or path.parent not in (Path("."), Path("recipes")):
        return path
    shipped = SHIPPED_RECIPES / (path.name if path.suffix == ".yaml" else path.name + ".yaml")
    return shipped if shipped.is_file() else path


def read_recipe_mapping(path: str | Path) -> dict:
    path = recipe_path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RecipeError(f"{path}: no such recipe file (shipped recipes: `textmad ls`)") from None
    except IsADirectoryError:
        raise RecipeError(f"{path}: is a directory; a recipe is a YAML file (shipped recipes: `textmad ls`)") \
            from None
    except PermissionError:
        raise RecipeError(f"{path}: cannot be read (permission denied); check the file's permissions") from None
    except UnicodeDecodeError as e:
        raise RecipeError(f"{path}: not UTF-8 at byte {e.start}") from None
    except OSError as e:
        raise RecipeError(f"{path}: cannot be read: {e.strerror or e}") from None
    data = load_yaml(text, str(path))
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise RecipeError(f"{path}: a recipe is a YAML mapping of keys to values, got {type(data).__name__}")
    return data


def load_recipe(path: str | Path | None = None, overrides: list[str] = (), data: dict | None = None) -> Recipe:
    """Load ``path`` (or a raw mapping), apply overrides, validate, and return the resolved Recipe."""
    source = str(recipe_path(path)) if path is not None else "<recipe>"
    raw = read_recipe_mapping(path) if path is not None else dict(data or {})
    raw = apply_overrides(raw, list(overrides))
    recipe = _build(Recipe, raw, "", source)
    add_sweep_arms(recipe)
    validate(recipe, source)
    return recipe
