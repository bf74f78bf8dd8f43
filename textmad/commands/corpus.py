"""`textmad corpus prepare NAME` and `textmad corpus stats NAME` (textmad.corpus)."""
from __future__ import annotations

from pathlib import Path

from textmad import rundir
from textmad.recipe import CorpusConfig


def configure_corpus(p):
    sub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    for action, help_text in (("prepare", "normalise a corpus and write train/heldout/fresh splits"),
                              ("stats", "print the split figures of a corpus (prepared first when needed)")):
        a = sub.add_parser(action, help=help_text, description=help_text)
        a.add_argument("name", metavar="NAME", help="built-in corpus, local file or directory, hub id (--hub), "
                                                    "or (stats) a prepared corpus folder")
        a.add_argument("--out", help="output folder (default: PREPARED_DIR/NAME-<config hash>)")
        a.add_argument("--prepared-dir", default=CorpusConfig.prepared_dir)
        a.add_argument("--force", action="store_true", help="rebuild even when a matching preparation exists")
        a.add_argument("--seed", type=int, default=CorpusConfig.seed)
        a.add_argument("--heldout-share", type=float, default=CorpusConfig.heldout_share)
        a.add_argument("--fresh-share", type=float, default=CorpusConfig.fresh_share)
        a.add_argument("--min-chars", type=int, default=CorpusConfig.min_chars)
        a.add_argument("--max-chars", type=int, default=CorpusConfig.max_chars)
        a.add_argument("--max-docs", type=int, default=CorpusConfig.max_docs, help="0: all documents")
        a.add_argument("--aligned-verses", type=int, default=CorpusConfig.aligned_verses, metavar="N",
                       help="quran-* corpora: documents of N verses, the same ranges and splits in every language")
        a.add_argument("--language", default="", help="ISO 639-1 code; required for local and hub sources")
        a.add_argument("--format", default="auto", choices=["auto", "txt", "jsonl", "parquet"])
        a.add_argument("--text-field", default="text", help="jsonl/parquet/hub: the column holding the text")
        a.add_argument("--separator", default="\n\n", help="txt: the string between documents")
        a.add_argument("--hub", action="store_true", help="NAME is a Hugging Face dataset id")
        a.add_argument("--hub-config", default="")
        a.add_argument("--hub-split", default="train")
        a.add_argument("--revision", default="")


def main_corpus(args) -> int:
    from textmad.corpus.cli import prepare_named, print_stats
    from textmad.corpus.prepare import load_prepared

    if args.action == "stats" and (Path(args.name) / rundir.MANIFEST).is_file():
        corpus = load_prepared(args.name)
    else:
        corpus = prepare_named(args.name, args)
        if args.action == "prepare":
            print(f"{'reused' if corpus.reused else 'prepared'} {corpus.dir}")
    print_stats(corpus)
    return 0
