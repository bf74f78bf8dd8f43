"""Loading a recipe: safe YAML, overrides, shipped recipes by name.

A recipe is data, never code: it is parsed with a safe YAML loader (no Python tags; aliases may not
expand beyond a small recipe's size; a key may appear once per mapping), then built into the schema's
dataclasses and checked (``checks.validate``) before anything is written.
"""
from __future__ import annotations

import dataclasses
import difflib
import re
import sys
import typing
from pathlib import Path
from typing import Any

import yaml

from textmad.recipe.checks import add_sweep_arms, validate
from textmad.recipe.schema import MAX_YAML_NODES, Recipe, RecipeError, _build, show

# Shipped recipes: package data, so `textmad ls` and `textmad run NAME` work from a wheel too.
SHIPPED_RECIPES = Path(__file__).resolve().parent.parent / "recipes"


class HugeInt(int):
    """An integer written with more digits than Python reads (4300): its size only, for the key's bound check."""

    def __new__(cls, digits: str):
        self = super().__new__(cls, (-1 if digits.startswith("-") else 1) * 10 ** (len(digits.lstrip("+-")) - 1))
        self.digits = len(digits.lstrip("+-"))
        return self

    def __repr__(self) -> str:
        return f"<{'a negative' if self < 0 else 'an'} integer of {self.digits} digits>"


class RecipeLoader(yaml.SafeLoader):
    """SafeLoader that reads 1e-4, 3E-4 and 1e6 as floats (YAML 1.1 wants a dot and a signed exponent), an
    integer too long for int() as a HugeInt (refused by its key's bounds), and refuses a repeated key."""

    def construct_yaml_int(self, node):
        digits = self.construct_scalar(node).replace("_", "")
        if digits.lstrip("+-").isdigit() and len(digits) > sys.get_int_max_str_digits() > 0:
            return HugeInt(digits)
        return super().construct_yaml_int(node)


RecipeLoader.add_constructor("tag:yaml.org,2002:int", RecipeLoader.construct_yaml_int)
RecipeLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9_]+)[eE][-+]?[0-9]+$"),
    list("-+0123456789."))


def _check_keys(node: yaml.MappingNode, where: str, source: str) -> None:
    """Refuse a key written twice in one mapping: YAML would keep the last one without a word."""
    seen = {}
    for key_node, _ in node.value:
        if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
            continue
        key = (key_node.tag, key_node.value)
        if key in seen:
            name = f"{where}.{key_node.value}" if where else key_node.value
            raise RecipeError(f"{source}: the key {show(name)} is given twice (lines {seen[key]} and "
                              f"{key_node.start_mark.line + 1}); give each key once")
        seen[key] = key_node.start_mark.line + 1


def _expanded_size(node, where: str, seen: dict, open_nodes: set, source: str) -> int:
    """How many values ``node`` (at key ``where``) becomes once every alias is expanded, counted on the graph
    (no expansion). ``seen`` keeps each node's size, whether an alias was followed and the innermost key whose
    value alone is over the limit."""
    key = id(node)
    if key in seen:
        seen["alias"] = True
        return seen[key]
    if key in open_nodes:
        raise RecipeError(f"{source}: an alias (*name) refers to a value that contains it; a recipe is a tree")
    open_nodes.add(key)
    children = []
    if isinstance(node, yaml.SequenceNode):
        children = [(f"{where}[{i}]", n) for i, n in enumerate(node.value)]
    elif isinstance(node, yaml.MappingNode):
        _check_keys(node, where, source)
        for k, v in node.value:
            name = k.value if isinstance(k, yaml.ScalarNode) else "?"
            children += [(where, k), (f"{where}.{name}" if where else name, v)]
    total = 1
    for child_where, child in children:
        total += _expanded_size(child, child_where, seen, open_nodes, source)
        if total > MAX_YAML_NODES:
            seen.setdefault("where", where)  # a child over the limit has set it first
            break
    open_nodes.discard(key)
    seen[key] = total
    return total


def load_yaml(text: str, source: str):
    """Parse one YAML document with RecipeLoader, for recipe files and override values alike."""
    loader = RecipeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        seen = {}
        if _expanded_size(node, "", seen, set(), source) > MAX_YAML_NODES:
            where = f"{seen['where']} " if seen.get("where") else "the YAML "
            if seen.get("alias"):
                raise RecipeError(f"{source}: {where}expands to more than {MAX_YAML_NODES} values through "
                                  f"aliases (*name); a recipe is small: write the values out")
            raise RecipeError(f"{source}: {where}holds more than {MAX_YAML_NODES} values; a recipe is small "
                              f"(a list per generation has loop.generations values, at most 1000)")
        return loader.construct_document(node)
    except RecipeError:
        raise
    except yaml.YAMLError as e:
        raise RecipeError(f"{source}: not valid YAML: {e}") from None
    except RecursionError:
        raise RecipeError(f"{source}: the YAML is nested too deeply to be a recipe") from None
    except ValueError as e:  # a value no constructor can read
        raise RecipeError(f"{source}: a value cannot be read: {show(str(e), 120)}") from None
    finally:
        loader.dispose()


def _check_override_key(path: list[str], text: str) -> None:
    """Refuse an override whose key is not a recipe key, naming the override (not the recipe file)."""
    cls, done = Recipe, []
    for part in path:
        fields = {f.name: f for f in dataclasses.fields(cls)} if cls is not None else {}
        if part not in fields:
            where = ".".join(done) or "the recipe"
            close = difflib.get_close_matches(part, fields, n=1, cutoff=0.5)
            hint = f"; did you mean {close[0]!r}?" if close else "."
            what = (f"{'.'.join(done)} is a value, not a mapping of keys" if cls is None else
                    "the key before '=' is empty" if not "".join(path) else
                    f"{where} has no key {show(part)}{hint} Accepted keys there: {', '.join(fields)}")
            raise RecipeError(f"override {show(text)}: {what}; expected KEY.SUB=VALUE, for example train.epochs=2")
        done.append(part)
        tp = typing.get_type_hints(cls)[part]
        inner = [a for a in (tp, *typing.get_args(tp)) if dataclasses.is_dataclass(a)]
        cls = inner[0] if inner and typing.get_origin(tp) is not list else None  # X, or X | None


def _parse_override(text: str) -> tuple[list[str], Any]:
    if "=" not in text:
        raise RecipeError(f"override {show(text)}: expected KEY.SUB=VALUE, for example train.epochs=2")
    key, raw = text.split("=", 1)
    path = key.strip().split(".")
    _check_override_key(path, text)
    value = load_yaml(raw, f"override {show(text)}") if raw.strip() else ""
    return path, value


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
