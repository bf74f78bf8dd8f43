"""`textmad validate RECIPE... [KEY=VALUE ...]`: load and check recipes; `--keys`: every recipe key."""
from __future__ import annotations

import json

from textmad.errors import UserError
from textmad.recipe import describe, dump_yaml, load_recipe


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
