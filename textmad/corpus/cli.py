"""What `textmad corpus prepare NAME` and `textmad corpus stats NAME` do (the verb: textmad.commands.corpus).

NAME is a built-in corpus (`textmad ls`), a local .txt/.jsonl/.parquet file or directory, a hub
dataset id (with --hub), or, for stats, a prepared corpus folder.
"""
from __future__ import annotations

from pathlib import Path

from textmad.corpus.splits import SPLITS
from textmad.recipe import CorpusConfig, SourceConfig


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


def builtin_names() -> list[str]:
    """The built-in corpora's names (`textmad ls`)."""
    from textmad.corpus.cards import list_corpora

    return [card.name for card in list_corpora()]


def prepare_named(name: str, args=None):
    """The corpus NAME prepared into the cache (PREPARED_DIR/NAME-<config hash>), or reused from there: the one
    path of `textmad corpus prepare|stats NAME` (``args``: its options) and of a built-in corpus named to
    `textmad eval --reference` or `textmad compare` (``args`` None: the same options' defaults)."""
    from textmad.corpus.prepare import prepare

    config = config_from_args(args) if args is not None else CorpusConfig(name=name)
    return prepare(config, out_dir=getattr(args, "out", None), force=getattr(args, "force", False))


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
