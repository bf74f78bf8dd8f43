"""`textmad validate` and `textmad ls`: the verbs that only read recipes and corpus cards."""
from __future__ import annotations

import json
from pathlib import Path

from textmad.errors import UserError
from textmad.recipe import SHIPPED_RECIPES, describe, dump_yaml, load_recipe


def configure_validate(p):
    p.add_argument("items", nargs="*", metavar="RECIPE|KEY=VALUE",
                   help="YAML recipe files (or shipped recipe names), and dotted overrides applied to each, "
                        "e.g. train.epochs=2")
    p.add_argument("-q", "--quiet", action="store_true", help="print one line per recipe, not the resolved config")
    p.add_argument("--keys", action="store_true",
                   help="print every recipe key with its type, accepted range, default and meaning")
    p.add_argument("--format", choices=("text", "markdown"), default="text", help="for --keys: the layout")


def _value(default) -> str:
    return json.dumps(default, ensure_ascii=False)  # one line, and valid YAML to paste into a recipe


def print_keys(markdown: bool) -> None:
    rows = describe()
    if markdown:
        print("| key | type | default | meaning |\n|---|---|---|---|")
        for key, kind, default, doc in rows:
            cells = (f"`{key}`", kind, f"`{_value(default)}`", doc)
            print("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
        return
    for key, kind, default, doc in rows:
        print(f"{key} = {_value(default)}\n    {kind}" + (f"\n    {doc}" if doc else ""))


def main_validate(args) -> int:
    if args.keys:
        print_keys(args.format == "markdown")
        return 0
    if not any("=" not in item for item in args.items):
        raise UserError("give one or more recipes to validate (shipped recipes: `textmad ls`), or --keys")
    overrides = [item for item in args.items if "=" in item]
    for path in (item for item in args.items if "=" not in item):
        recipe = load_recipe(path, overrides)
        if args.quiet:
            print(f"ok  {path}  ({recipe.name}: {len(recipe.loop.arms)} arm(s), "
                  f"{recipe.loop.generations} generations, corpus {recipe.corpus.name})")
        else:
            print(f"# {path}: valid; resolved recipe follows")
            print(dump_yaml(recipe))
    return 0


def recipe_summary(path: Path) -> str:
    """The recipe's description: its first comment line that is not the launch command."""
    for line in path.read_text(encoding="utf-8").splitlines():
        text = line.lstrip("# ").strip()
        if line.startswith("#") and text and not text.startswith(("textmad ", "accelerate ")):
            return text
    return ""


def configure_ls(p):
    p.add_argument("--recipes-dir", default=str(SHIPPED_RECIPES), help="where to look for recipes")


def main_ls(args) -> int:
    from textmad.corpus import list_corpora

    print("recipes:")
    for path in sorted(Path(args.recipes_dir).glob("*.yaml")):
        print(f"  {path.stem:<28} {recipe_summary(path)}")
    print("corpora:")
    for card in list_corpora():
        print(f"  {card.name:<28} [{card.language}] {card.summary}")
    return 0
