"""`textmad export RUN --to DIR`: a run's generations as a Hugging Face dataset folder (textmad.export)."""
from __future__ import annotations


def configure_export(p) -> None:
    p.add_argument("run", help="a run directory (RUN, written by `textmad run`)")
    p.add_argument("--to", required=True, metavar="DIR",
                   help="the dataset folder to write: new, empty, or an earlier export (replaced)")
    p.add_argument("--arm", action="append", default=None, metavar="ARM",
                   help="only this arm (repeatable; generation 0 is shared by every arm); default: all")
    p.add_argument("--generation", type=int, action="append", default=None, metavar="K",
                   help="only generation K (repeatable); default: every finished generation")
    p.add_argument("--push-to-hub", default=None, metavar="REPO",
                   help="then upload the folder to the Hugging Face dataset repo REPO (needs a token and network)")
    p.add_argument("--private", action="store_true", help="with --push-to-hub: create the repo private")


def main_export(args) -> int:
    from textmad.export import main_export as run

    return run(args)
