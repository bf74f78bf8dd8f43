"""`textmad corpus prepare NAME` and `textmad corpus stats NAME`.

NAME is a built-in corpus (`textmad ls`), a local .txt/.jsonl/.parquet file or directory, a hub
dataset id (with --hub), or, for stats, a prepared corpus folder.
"""
from __future__ import annotations

from pathlib import Path

from textmad.corpus.prepare import load_prepared, prepare
from textmad.corpus.splits import SPLITS
from textmad.recipe import CorpusConfig, SourceConfig


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


def config_from_args(args) -> CorpusConfig:
    source = None
    if args.hub:
        source = SourceConfig(kind="hub", name=args.name, config=args.hub_config, split=args.hub_split,
                              revision=args.revision, text_field=args.text_field)
    elif Path(args.name).exists():
        source = SourceConfig(kind="local", path=args.name, format=args.format, text_field=args.text_field,
                              separator=args.separator)
    name = Path(args.name).stem if source is not None and source.kind == "local" else args.name
    return CorpusConfig(name=name, source=source, language=args.language, seed=args.seed,
                        heldout_share=args.heldout_share, fresh_share=args.fresh_share, min_chars=args.min_chars,
                        max_chars=args.max_chars, max_docs=args.max_docs, aligned_verses=args.aligned_verses,
                        prepared_dir=args.prepared_dir)


def print_stats(corpus) -> None:
    m = corpus.manifest
    print(f"{m['corpus']} [{m['language']}]  {corpus.dir}")
    print(f"source: {m['source']['package']} {m['source']['version']}  seed {m['seed']}")
    c = m["counts"]
    print(f"passages {c['passages']}, pieces {c['pieces']}, shorter than min_chars {c['too_short']}, "
          f"exact duplicates {c['exact_duplicates']}, near-duplicates {c['near_duplicates']}")
    print(f"{'split':<8} {'documents':>9} {'words':>9} {'bytes':>10} {'types':>7} {'hapax':>7} {'TTR':>7}  sha256")
    for name in SPLITS:
        s = m["splits"][name]
        print(f"{name:<8} {s['documents']:>9} {s['words']:>9} {s['bytes']:>10} {s['types']:>7} {s['hapax']:>7} "
              f"{s['type_token_ratio']:>7.4f}  {s['sha256'][:16]}")


def main_corpus(args) -> int:
    if args.action == "stats" and (Path(args.name) / "manifest.json").is_file():
        corpus = load_prepared(args.name)
    else:
        corpus = prepare(config_from_args(args), out_dir=args.out, force=args.force)
        if args.action == "prepare":
            print(f"{'reused' if corpus.reused else 'prepared'} {corpus.dir}")
    print_stats(corpus)
    return 0
