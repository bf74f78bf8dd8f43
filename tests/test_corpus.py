"""Corpus preparation on real data: built-in sources, splits, deduplication, Unicode, bad input, atomicity."""
from __future__ import annotations

import json
import socket
import unicodedata
from pathlib import Path

import pytest
import regex

from textmad.cli import main as cli_main
from textmad.corpus import SPLITS, get_card, list_corpora, load_prepared, prepare, reference_frequencies
from textmad.corpus import sources
from textmad.corpus.normalize import clean_text, cut, pack
from textmad.text import words
from textmad.corpus.splits import Document, deduplicate
from textmad.errors import UserError
from textmad.recipe import CorpusConfig, SourceConfig


def debian_missing(name: str) -> str | None:
    """Why a Debian-backed corpus cannot be tested here, or None when it can."""
    try:
        sources.card_source(get_card(name))
    except UserError as e:
        return f"{name}: Debian package files absent ({e})"
    return None


def builtin(name: str, tmp: Path, **kw) -> CorpusConfig:
    return CorpusConfig(name=name, prepared_dir=str(tmp), **kw)


def local(tmp: Path, path: Path, language="en", **kw) -> CorpusConfig:
    source = kw.pop("source", {})
    return CorpusConfig(name=path.stem, source=SourceConfig(kind="local", path=str(path), **source),
                        language=language, prepared_dir=str(tmp / "prepared"), **kw)


def doc_paragraphs(n: int, tag: str = "") -> str:
    return "\n\n".join(f"Document {tag}{i} talks about topic number {i} at some length, enough to pass the "
                       f"minimum length window of this test, with words like {i * 7} and {i * 13}." for i in range(n))


@pytest.fixture(scope="module")
def default_builtins(tmp_path_factory):
    """Every available built-in corpus prepared once at the default config."""
    root = tmp_path_factory.mktemp("builtin")
    return {card.name: prepare(builtin(card.name, root)) for card in list_corpora()
            if not debian_missing(card.name)}


# ---------------------------------------------------------------- built-in corpora

def test_every_card_has_a_reader_and_honest_fields():
    cards = list_corpora()
    for card in cards:
        assert card.reader in sources.READERS and card.files, card.name
        for field in ("language", "register", "source", "licence", "obtain", "summary"):
            assert getattr(card, field).strip(), f"{card.name}: empty {field}"
        assert set(card.expected_size) == set(SPLITS)
    assert "non-commercial" in get_card("quran-bn").licence.casefold()
    assert {c.name: c.language for c in cards}["quran-bn"] == "bn"


@pytest.mark.parametrize("name", ["wiki-en", "lee-en", "quran-bn", "dasher-sw"])
def test_builtin_prepares_to_its_card_figures(name, default_builtins):
    reason = debian_missing(name)
    if reason:
        pytest.skip(reason)
    corpus = default_builtins[name]
    card = get_card(name)
    assert corpus.language == card.language
    assert corpus.manifest["source"]["version"] not in ("", "unknown")
    seen_ids, seen_texts, seen_folded = set(), set(), set()
    for split in SPLITS:
        entry = corpus.manifest["splits"][split]
        assert {k: entry[k] for k in ("documents", "words", "bytes")} == card.expected_size[split]
        rows = corpus.split(split)
        assert len(rows) == entry["documents"]
        for row in rows:
            assert set(row) == {"id", "text"}
            assert 200 <= len(row["text"]) <= 2000
            assert unicodedata.is_normalized("NFC", row["text"])
            folded = " ".join(row["text"].casefold().split())
            assert row["id"] not in seen_ids and row["text"] not in seen_texts and folded not in seen_folded
            seen_ids.add(row["id"]), seen_texts.add(row["text"]), seen_folded.add(folded)


def test_wiki_keeps_prose_and_drops_markup(default_builtins):
    texts = [row["text"] for row in default_builtins["wiki-en"].split("train")]
    joined = "\n".join(texts)
    for markup in ("[[", "]]", "{{", "''", "==", "<ref", "&nbsp;"):
        assert markup not in joined
    assert any(t[0].isupper() and "," in t for t in texts)  # case and punctuation are kept


def test_quran_translations_of_one_passage_share_a_split(default_builtins):
    if debian_missing("quran-bn"):
        pytest.skip(debian_missing("quran-bn"))
    corpus = default_builtins["quran-bn"]
    split_of = {row["id"]: split for split in SPLITS for row in corpus.split(split)}
    pairs = [(i, "bnii:" + i.removeprefix("bni:")) for i in split_of if i.startswith("bni:")]
    assert len(pairs) > 400
    assert all(split_of[a] == split_of[b] for a, b in pairs if b in split_of)
    text = "\n".join(row["text"] for row in corpus.split("heldout"))
    assert "\\" not in text and "qt@" not in text and "{" not in text
    assert regex.search(r"\p{Bengali}", text) and "।" in text


def test_missing_debian_package_names_the_install_command(monkeypatch, tmp_path):
    monkeypatch.setattr(sources, "debian_roots", lambda: [tmp_path])
    with pytest.raises(UserError, match=r"install-debian-corpora\.sh.*apt-get download texlive-lang-other"):
        prepare(builtin("quran-bn", tmp_path))


def test_install_script_downloads_into_a_private_folder(tmp_path):
    import os
    import shutil
    import subprocess

    if not all(shutil.which(t) for t in ("dpkg", "dpkg-deb")):
        pytest.skip("needs dpkg")
    pkg = tmp_path / "pkg"
    (pkg / "DEBIAN").mkdir(parents=True)
    (pkg / "DEBIAN" / "control").write_text("Package: fake-corpus\nVersion: 1.0\nArchitecture: all\n"
                                            "Maintainer: t <t@example.org>\nDescription: test\n", encoding="utf-8")
    (pkg / "usr/share/fake").mkdir(parents=True)
    (pkg / "usr/share/fake/text.txt").write_text("words", encoding="utf-8")
    deb = tmp_path / "fake-corpus_1.0_all.deb"
    subprocess.run(["dpkg-deb", "--build", str(pkg), str(deb)], check=True, capture_output=True)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    # A stand-in for apt-get that records the folder it downloads into.
    (bin_dir / "apt-get").write_text(f"#!/bin/sh\nstat -c '%a %U' . > {tmp_path / 'mode'}\ncp {deb} .\n")
    (bin_dir / "apt-get").chmod(0o755)
    script = Path(sources.INSTALL_DEBIAN)
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(["bash", str(script), str(tmp_path / "root"), "fake-corpus"], env=env,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "root/usr/share/fake/text.txt").read_text(encoding="utf-8") == "words"
    mode, owner = (tmp_path / "mode").read_text().split()
    assert mode == "700"  # never opened to every user
    assert owner == ("_apt" if os.geteuid() == 0 and subprocess.run(["id", "_apt"], capture_output=True).returncode == 0
                     else subprocess.run(["id", "-un"], capture_output=True, text=True).stdout.strip())


def test_other_gensim_version_is_refused(monkeypatch, tmp_path):
    monkeypatch.setattr(sources.importlib.metadata, "version", lambda name: "4.3.3")
    with pytest.raises(UserError, match=r"found gensim 4\.3\.3.*pip install gensim==4\.4\.0"):
        prepare(builtin("lee-en", tmp_path))


# ---------------------------------------------------------------- splits, determinism, caching, atomicity

def test_splits_are_deterministic_given_the_seed(tmp_path):
    shas = [prepare(builtin("lee-en", tmp_path), out_dir=tmp_path / f"run{i}").manifest["splits"]
            for i in range(2)]
    other = prepare(builtin("lee-en", tmp_path, seed=1)).manifest["splits"]
    for split in SPLITS:
        assert shas[0][split]["sha256"] == shas[1][split]["sha256"]
        assert other[split]["sha256"] != shas[0][split]["sha256"]


def test_shares_and_max_docs(tmp_path):
    m = prepare(builtin("lee-en", tmp_path, max_docs=100, heldout_share=0.2, fresh_share=0.25)).manifest
    assert [m["splits"][s]["documents"] for s in SPLITS] == [55, 20, 25]


def test_prepare_reuses_a_matching_folder_and_rebuilds_a_damaged_one(tmp_path):
    cfg = builtin("lee-en", tmp_path, max_docs=40)
    first = prepare(cfg)
    assert not first.reused and first.dir.parent == tmp_path and first.dir.name.startswith("lee-en-")
    assert prepare(cfg).reused
    (first.dir / "train.jsonl").write_text("{}\n", encoding="utf-8")
    again = prepare(cfg)
    assert not again.reused and len(again.split("train")) == first.manifest["splits"]["train"]["documents"]
    assert prepare(builtin("lee-en", tmp_path, max_docs=41)).dir != first.dir


def test_failed_prepare_leaves_the_previous_folder_intact(tmp_path):
    out = tmp_path / "corpus"
    good = prepare(builtin("lee-en", tmp_path, max_docs=40), out_dir=out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    with pytest.raises(UserError, match="too small"):
        prepare(builtin("lee-en", tmp_path, max_docs=2), out_dir=out)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus"]  # no temporary folder left behind
    assert load_prepared(out).manifest == good.manifest


def test_killed_and_failed_preparations_leave_nothing_behind(tmp_path):
    import subprocess
    import sys

    from conftest import subprocess_env

    cfg = builtin("lee-en", tmp_path / "prepared", max_docs=40)
    # A preparation killed mid-build leaves its claimed temporary folder beside the output.
    code = ("import sys, time; from textmad.corpus import prepare; from textmad.recipe import CorpusConfig; "
            "P = sys.modules['textmad.corpus.prepare']; "
            "P._build = lambda tmp, *a: (print(tmp, flush=True), time.sleep(60)); "
            f"prepare(CorpusConfig(name='lee-en', prepared_dir={str(tmp_path / 'prepared')!r}, max_docs=40))")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=subprocess_env())
    stale = Path(proc.stdout.readline().strip())
    assert stale.is_dir() and stale.name.startswith(".lee-en-") and ".tmp-" in stale.name
    proc.kill()
    proc.wait()
    assert stale.is_dir()
    corpus = prepare(cfg)
    assert not stale.exists() and [p.name for p in corpus.dir.parent.iterdir()] == [corpus.dir.name]
    # ... and also when the next preparation only reuses the folder.
    stale.mkdir()
    assert prepare(cfg).reused and not stale.exists()
    # A preparation that fails does not leave the prepared_dir it created.
    with pytest.raises(UserError, match="too small"):
        prepare(builtin("lee-en", tmp_path / "new" / "prepared", max_docs=2))
    assert not (tmp_path / "new").exists()


@pytest.mark.parametrize("code", ["xx-notalang", "english", "e", "bn--x"])
def test_language_codes_are_validated(tmp_path, code):
    path = tmp_path / "docs.txt"
    path.write_text(doc_paragraphs(20), encoding="utf-8")
    with pytest.raises(UserError, match=rf"corpus.language = '{code}': not a language code.*Formality metrics "
                                        rf"exist for en, bn; reference vocabularies for .*\bbn\b"):
        prepare(local(tmp_path, path, language=code))
    assert not (tmp_path / "prepared").exists()
    status = cli_main(["corpus", "prepare", str(path), "--language", code, "--prepared-dir", str(tmp_path / "p")])
    assert status == 2


def test_refuses_to_overwrite_a_folder_that_is_not_a_prepared_corpus(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(UserError, match="not a prepared corpus"):
        prepare(builtin("lee-en", tmp_path, max_docs=40), out_dir=tmp_path / "mine")


def test_exact_and_near_duplicates_are_removed(tmp_path):
    base = doc_paragraphs(12).split("\n\n")
    # Whitespace variants are exact duplicates once normalised; case variants are near-duplicates.
    variants = [base[0], "  ".join(base[2].split(" ")), base[1].upper(), base[3].swapcase()]
    path = tmp_path / "dups.txt"
    path.write_text("\n\n".join(base + variants), encoding="utf-8")
    corpus = prepare(local(tmp_path, path, min_chars=50, fresh_share=0.2))
    counts = corpus.manifest["counts"]
    assert (counts["exact_duplicates"], counts["near_duplicates"], counts["documents"]) == (2, 2, 12)
    texts = [row["text"].casefold() for split in SPLITS for row in corpus.split(split)]
    assert len(texts) == len(set(texts)) == 12


def test_near_duplicate_key_folds_case_and_whitespace():
    docs = [Document("a", "Straße  und\nWeg", "a"), Document("b", "STRASSE UND WEG", "b"),
            Document("c", "Strasse und Wege", "c")]
    kept, exact, near = deduplicate(docs)
    assert [d.id for d in kept] == ["a", "c"] and (exact, near) == (0, 1)


# ---------------------------------------------------------------- Unicode

BENGALI = ("ক্ষমা চাওয়ার পরে লক্ষ্মী মন্ত্র পড়লেন। রাষ্ট্রের স্বাধীনতা আন্দোলনে কৃষ্ণ আর ঋত্বিক সঙ্গে ছিলেন। "
           "র\u200dযাব আর র\u200cযাব আলাদা দেখায়, আর ক্\u200cষ হলো যুক্তাক্ষর ভাঙা রূপ। "
           "শিক্ষার্থীরা বিজ্ঞান, সংস্কৃতি ও দর্শন নিয়ে আলোচনা করল। উৎসব শেষে সবাই বাড়ি ফিরল৷")


def test_bengali_survives_preparation_grapheme_for_grapheme(tmp_path):
    decomposed = unicodedata.normalize("NFD", BENGALI)  # NFC must put it back
    filler = doc_paragraphs(8)
    path = tmp_path / "bn.txt"
    path.write_text(decomposed + "\n\n" + filler, encoding="utf-8")
    corpus = prepare(local(tmp_path, path, language="bn", min_chars=100, source={"separator": "\n\n"}))
    texts = [row["text"] for split in SPLITS for row in corpus.split(split)]
    expected = unicodedata.normalize("NFC", BENGALI)
    assert expected in texts
    got = texts[texts.index(expected)]
    assert regex.findall(r"\X", got) == regex.findall(r"\X", expected)
    for part in ("ক্ষ", "ন্ত্র", "\u200d", "\u200c", "্", "ো", "ৎ"):
        assert part in got


def test_words_and_cuts_are_unicode_aware():
    assert words("ক্ষমা করো, লক্ষ্মী!") == ["ক্ষমা", "করো", "লক্ষ্মী"]
    assert words("don't stop co-op 42") == ["don't", "stop", "co", "op", "42"]
    sentences = "প্রথম বাক্যটি এখানে শেষ। দ্বিতীয় বাক্যটি এখানে শেষ। তৃতীয় বাক্যটি এখানে শেষ।"
    assert cut(sentences, 55) == ["প্রথম বাক্যটি এখানে শেষ। দ্বিতীয় বাক্যটি এখানে শেষ।", "তৃতীয় বাক্যটি এখানে শেষ।"]
    assert cut(sentences, 30) == [s.strip() + "।" for s in sentences.split("।") if s.strip()]  # cut at the danda
    no_spaces = "ক্ষ" * 10
    pieces = cut(no_spaces, 7)
    assert "".join(pieces) == no_spaces and all(len(p) <= 7 and p.startswith("ক্ষ") for p in pieces)
    assert clean_text("a <b>bold</b>\u00a0&amp; \x07x\r\n\r\n\r\nnext\nline", markup=True) == "a bold & x\n\nnext line"
    assert pack("one.\n\ntwo.\n\n" + "three " * 10, 20) == ["one.\n\ntwo.", "three three three", "three three three",
                                                           "three three three", "three"]


# ---------------------------------------------------------------- local files and bad input

def test_local_txt_jsonl_and_parquet(tmp_path):
    import datasets

    paragraphs = doc_paragraphs(20).split("\n\n")
    txt = tmp_path / "docs.txt"
    txt.write_text("\n---\n".join(paragraphs), encoding="utf-8")
    jsonl = tmp_path / "docs.jsonl"
    jsonl.write_text("".join(json.dumps({"body": p, "n": i}) + "\n" for i, p in enumerate(paragraphs)),
                     encoding="utf-8")
    parquet = tmp_path / "docs.parquet"
    datasets.Dataset.from_dict({"text": paragraphs}).to_parquet(str(parquet))
    for path, source in ((txt, {"separator": "\n---\n"}), (jsonl, {"text_field": "body"}), (parquet, {})):
        corpus = prepare(local(tmp_path, path, min_chars=50, source=source))
        got = sorted(row["text"] for split in SPLITS for row in corpus.split(split))
        assert got == sorted(paragraphs), path.suffix
        assert corpus.manifest["source"]["files"][0]["path"] == str(path)


def test_plain_text_keeps_what_looks_like_markup(tmp_path):
    assert clean_text("if a<b and c>d then x") == "if a<b and c>d then x"
    bengali = "সে বলল ‹আমি যাব> এবং চলে গেল; AT&amp;T"
    assert clean_text(bengali) == bengali
    path = tmp_path / "plain.txt"
    path.write_text(doc_paragraphs(20) + "\n\nIf a<b and c>d then x holds, " + bengali + " " + "and more words " * 5,
                    encoding="utf-8")
    corpus = prepare(local(tmp_path, path, min_chars=50))
    texts = "\n".join(row["text"] for split in SPLITS for row in corpus.split(split))
    assert "If a<b and c>d then x holds" in texts and bengali in texts


def jsonl(path: Path, rows: list) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in rows),
                    encoding="utf-8")
    return path


def test_local_jsonl_rows_without_text_are_counted_and_a_missing_field_everywhere_fails(tmp_path):
    paragraphs = doc_paragraphs(80).split("\n\n")
    rows = [{"text": p} for p in paragraphs]
    rows[7] = {"body": paragraphs[7]}
    rows[9] = {"text": None}
    rows[11] = {"text": "   "}
    corpus = prepare(local(tmp_path, jsonl(tmp_path / "rows.jsonl", rows), min_chars=50))
    counts = corpus.manifest["counts"]
    assert counts["dropped_rows"] == {"blank": 1, "missing field": 1, "null": 1}
    assert counts["passages"] == counts["pieces"] == 77 and counts["too_short"] == 0
    with pytest.raises(UserError, match=r"rows2\.jsonl: no row has the field 'text'.*first row's fields: body, n"):
        prepare(local(tmp_path, jsonl(tmp_path / "rows2.jsonl", [{"body": p, "n": 1} for p in paragraphs])))


def test_local_jsonl_bad_rows_name_the_file_and_line(tmp_path):
    good = {"text": doc_paragraphs(1)}
    number = jsonl(tmp_path / "number.jsonl", [good, good, {"text": 42}])
    with pytest.raises(UserError, match=rf"{regex.escape(str(number))}:3: 'text' holds int '42', not text"):
        prepare(local(tmp_path, number))
    broken = jsonl(tmp_path / "broken.jsonl", [good, '{"text": "unterminated', good])
    with pytest.raises(UserError, match=rf"{regex.escape(str(broken))}:2: not a JSON line \(Unterminated string"):
        prepare(local(tmp_path, broken))
    listed = jsonl(tmp_path / "listed.jsonl", [good, ["a", "list"]])
    with pytest.raises(UserError, match=rf"{regex.escape(str(listed))}:2: a row is a JSON object"):
        sources.read_documents(listed)


def test_one_reader_for_prepare_and_eval(tmp_path):
    docs = sources.read_documents(jsonl(tmp_path / "e.jsonl", [{"text": "one"}, {"x": 1}, {"text": "two"}]))
    assert docs.texts == ["one", "two"] and docs.dropped == {"missing field": 1}
    path = tmp_path / "e.txt"
    path.write_text("one\n\n\n\ntwo\n\n", encoding="utf-8")
    assert [t.strip() for t in sources.read_documents(path).texts] == ["one", "two"]


@pytest.mark.parametrize("suffix", [".txt", ".jsonl"])
def test_non_utf8_names_the_file_and_byte_offset(tmp_path, suffix):
    path = tmp_path / f"latin1{suffix}"
    prefix = b'{"text": "caf'
    path.write_bytes(prefix + "é".encode("latin-1") + b'"}\n')
    with pytest.raises(UserError, match=rf"{regex.escape(str(path))}: not UTF-8 at byte offset {len(prefix)}\b"):
        prepare(local(tmp_path, path))


def test_non_utf8_offset_past_the_first_read_block(tmp_path):
    path = tmp_path / "big.txt"
    head = b"a" * ((1 << 20) - 1) + "ক".encode("utf-8")  # the 3-byte letter straddles the block boundary
    path.write_bytes(head + b"\xff")
    with pytest.raises(UserError, match=rf"byte offset {len(head)}\b"):
        sources.read_utf8(path)


def test_empty_file_unknown_name_too_small_and_missing_language(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    with pytest.raises(UserError, match=r"empty\.txt: the file is empty"):
        prepare(local(tmp_path, empty))
    blank = tmp_path / "blank.jsonl"
    blank.write_text('{"text": "  "}\n', encoding="utf-8")
    with pytest.raises(UserError, match=r"blank\.jsonl: the file holds no text"):
        prepare(local(tmp_path, blank))
    with pytest.raises(UserError, match=r"unknown corpus 'wiki-eng'; did you mean 'wiki-en'"):
        prepare(builtin("wiki-eng", tmp_path))
    small = tmp_path / "small.txt"
    small.write_text(doc_paragraphs(2), encoding="utf-8")
    with pytest.raises(UserError, match=r"2 document\(s\) is too small for the requested splits"):
        prepare(local(tmp_path, small, min_chars=50))
    with pytest.raises(UserError, match=r"no document of at least corpus.min_chars = 5000"):
        prepare(local(tmp_path, small, min_chars=5000, max_chars=6000))
    with pytest.raises(UserError, match=r"corpus.language \(--language on the command line\) is required"):
        prepare(local(tmp_path, small, language=""))


# ---------------------------------------------------------------- hub

def hub_reachable() -> bool:
    try:
        socket.create_connection(("huggingface.co", 443), timeout=3).close()
        return True
    except OSError:
        return False


def test_hub_offline_and_not_cached_is_a_user_error(monkeypatch, tmp_path):
    import datasets.config

    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", True)
    cfg = CorpusConfig(name="tiny", language="en", prepared_dir=str(tmp_path),
                       source=SourceConfig(kind="hub", name="textmad-tests/not-cached-anywhere"))
    with pytest.raises(UserError, match="not in the local datasets cache"):
        prepare(cfg)


@pytest.mark.online
@pytest.mark.skipif(not hub_reachable(), reason="the Hugging Face hub is not reachable (offline)")
def test_hub_dataset_prepares(tmp_path):
    cfg = CorpusConfig(name="rotten", language="en", prepared_dir=str(tmp_path), min_chars=50, max_docs=200,
                       source=SourceConfig(kind="hub", name="cornell-movie-review-data/rotten_tomatoes",
                                           split="validation"))
    corpus = prepare(cfg)
    assert corpus.manifest["splits"]["heldout"]["documents"] == 20


# ---------------------------------------------------------------- reference vocabularies, CLI

def test_reference_frequencies_refuse_a_language_wordfreq_lacks():
    bn = reference_frequencies("bn", 50)
    assert len(bn) == 50 and all(regex.search(r"\p{Bengali}", w) for w in list(bn)[:20])
    assert "the" in reference_frequencies("en", 10)
    with pytest.raises(UserError, match=r"no word list for language 'sw'.*silently use English"):
        reference_frequencies("sw", 50)


def test_cli_prepare_and_stats(tmp_path, capsys):
    assert cli_main(["corpus", "prepare", "lee-en", "--prepared-dir", str(tmp_path), "--max-docs", "60",
                     "--seed", "3"]) == 0
    out = capsys.readouterr().out
    folder = next(tmp_path.iterdir())
    assert f"prepared {folder}" in out and "heldout" in out
    assert cli_main(["corpus", "stats", str(folder)]) == 0
    assert "lee-en [en]" in capsys.readouterr().out
    assert cli_main(["corpus", "stats", "lee-en", "--prepared-dir", str(tmp_path), "--max-docs", "60",
                     "--seed", "3"]) == 0
    assert cli_main(["corpus", "prepare", "no-such-corpus"]) == 2
    assert "unknown corpus 'no-such-corpus'" in capsys.readouterr().err
