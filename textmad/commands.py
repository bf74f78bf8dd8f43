"""`textmad validate` and `textmad ls`: the verbs that only read recipes and corpus cards."""
from __future__ import annotations

from pathlib import Path

from textmad.recipe import dump_yaml, load_recipe

RECIPES_DIR = Path(__file__).resolve().parents[1] / "recipes"


def configure_validate(p):
    p.add_argument("items", nargs="+", metavar="RECIPE|KEY=VALUE",
                   help="YAML recipe files, and dotted overrides applied to each, e.g. train.epochs=2")
    p.add_argument("-q", "--quiet", action="store_true", help="print one line per recipe, not the resolved config")


def main_validate(args) -> int:
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
    p.add_argument("--recipes-dir", default=str(RECIPES_DIR), help="where to look for recipes")


def main_ls(args) -> int:
    from textmad.corpus import list_corpora

    print("recipes:")
    for path in sorted(Path(args.recipes_dir).glob("*.yaml")):
        print(f"  {path.stem:<28} {recipe_summary(path)}")
    print("corpora:")
    for card in list_corpora():
        print(f"  {card.name:<28} [{card.language}] {card.summary}")
    return 0
