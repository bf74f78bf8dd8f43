"""python -m textmad.evaluate.modules: rewrite each module's README.md card from the registry."""
from pathlib import Path

from textmad.evaluate.modules import FAMILIES, card, module_path
from textmad.io import write_text

for name in FAMILIES:
    write_text(Path(module_path(name)) / "README.md", card(name))
