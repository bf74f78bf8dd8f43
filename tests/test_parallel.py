"""Parallel corpora: the quran-* built-ins, aligned verse ranges across languages, and their bad input."""
from __future__ import annotations

import json

import pytest
import regex

from textmad.cli import main as cli_main
from textmad.corpus import SPLITS, get_card, prepare, sources
from textmad.corpus.splits import Document, assign
from textmad.errors import UserError
from textmad.recipe import CorpusConfig, SourceConfig

NEW = ["quran-en", "quran-ar", "quran-ur", "quran-fa", "quran-de", "quran-fr"]
SCRIPTS = {"en": r"\p{Latin}", "bn": r"\p{Bengali}", "ar": r"\p{Arabic}", "ur": r"\p{Arabic}"}


def missing(name: str) -> str | None:
    try:
        sources.card_source(get_card(name))
    except UserError as e:
        return f"{name}: its Debian package is not installed here ({e})"
    return None


def aligned(name: str, tmp, **kw) -> CorpusConfig:
    return CorpusConfig(name=name, prepared_dir=str(tmp), aligned_verses=3, **kw)


@pytest.mark.parametrize("name", NEW)
def test_new_corpus_prepares_to_its_card_figures_with_honest_terms(name, tmp_path):
    if missing(name):
        pytest.skip(missing(name))
    card = get_card(name)
    corpus = prepare(CorpusConfig(name=name, prepared_dir=str(tmp_path)))
    for split in SPLITS:
        entry = corpus.manifest["splits"][split]
        assert {k: entry[k] for k in ("documents", "words", "bytes")} == card.expected_size[split]
    assert corpus.language == card.language == name.removeprefix("quran-")
    assert "tanzil" in card.licence.casefold()
    if name == "quran-ar":
        assert "verbatim" in card.licence and "no translator" in card.source
    else:
        assert "non-commercial" in card.licence.casefold() and "not name" in card.source
        (translator,) = corpus.manifest["source"]["translations"].values()
        assert translator in card.source and translator.split()[-1] in card.summary
    text = "\n".join(row["text"] for row in corpus.split("heldout"))
    assert "\\" not in text and "qt@" not in text and "{" not in text and "﴿" not in text


def test_ls_lists_the_parallel_corpora_and_prepare_aligns_them(capsys, tmp_path):
    assert cli_main(["ls"]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in ["quran-bn", *NEW])
    if missing("quran-ur"):
        pytest.skip(missing("quran-ur"))
    assert cli_main(["corpus", "prepare", "quran-ur", "--aligned-verses", "5", "--prepared-dir", str(tmp_path)]) == 0
    (folder,) = tmp_path.iterdir()
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["config"]["aligned_verses"] == 5
    assert sum(manifest["splits"][s]["documents"] for s in SPLITS) == len(sources.verse_ranges(5)) == 1288
    assert cli_main(["corpus", "prepare", "lee-en", "--aligned-verses", "5", "--prepared-dir", str(tmp_path)]) == 2
    assert "corpus.aligned_verses = 5, but corpus 'lee-en'" in capsys.readouterr().err


@pytest.fixture(scope="module")
def aligned_corpora(tmp_path_factory):
    """en, bn, ar and ur at aligned_verses = 3, split as recipes/parallel.yaml splits them."""
    root = tmp_path_factory.mktemp("aligned")
    return {name: prepare(aligned(name, root, max_docs=2000, heldout_share=0.1, fresh_share=0.6))
            for name in ("quran-en", "quran-bn", "quran-ar", "quran-ur") if not missing(name)}


@pytest.mark.parametrize("name", ["quran-bn", "quran-ar", "quran-ur"])
def test_every_language_gets_the_same_verse_ranges_in_each_split(name, aligned_corpora):
    for language in ("quran-en", name):
        if missing(language):
            pytest.skip(missing(language))
    english, other = aligned_corpora["quran-en"], aligned_corpora[name]
    for split in SPLITS:
        ids = [row["id"] for row in english.split(split)]
        assert sorted(ids) == sorted(row["id"] for row in other.split(split)), split
        assert all(regex.fullmatch(r"\d+:\d+-\d+", i) for i in ids)
    sizes = {split: len(english.split(split)) for split in SPLITS}
    assert sizes == {"train": 600, "heldout": 200, "fresh": 1200}
    # Same ranges, different languages: each document is in the corpus's own script.
    language = other.language
    assert all(regex.search(SCRIPTS[language], row["text"]) for row in other.split("heldout"))
    first, first_other = english.split("heldout")[0], other.split("heldout")[0]
    assert first["id"] == first_other["id"] and first["text"] != first_other["text"]


def test_aligned_ranges_are_fixed_verse_counts_never_cut_or_dropped(tmp_path):
    if missing("quran-en"):
        pytest.skip(missing("quran-en"))
    corpus = prepare(aligned("quran-en", tmp_path, max_chars=300, min_chars=250))
    ids = {row["id"]: row["text"] for split in SPLITS for row in corpus.split(split)}
    # Every range of the 6,236 verses, the long ones kept whole and the short ones kept too.
    assert set(ids) == {f"{s}:{a}-{b}" for s, a, b in sources.verse_ranges(3)}
    assert len(ids) == 2115 and sum(b - a + 1 for _, a, b in sources.verse_ranges(3)) == 6236
    assert max(map(len, ids.values())) > 1000 and min(map(len, ids.values())) < 250
    assert ids["1:1-3"].startswith("In the name of Allah, most benevolent, ever-merciful. ALL PRAISE BE to Allah")
    assert ids["114:4-6"].count(" ") > 5  # the last range of the last sura: verses 4 to 6


def test_assign_by_group_ignores_how_many_documents_a_language_has_per_range():
    groups = [f"{s}:{a}-{a + 2}" for s in range(1, 40) for a in (1, 4, 7)]
    one = [Document(g, f"text {g}", g) for g in groups]
    # a second language with two documents for every third range (two translations, or a cut range)
    two = [Document(f"{g}#{k}", f"text {g} {k}", g) for i, g in enumerate(groups) for k in range(1 + (i % 3 == 0))]

    def split_of(docs, by_group):
        out = assign(docs, 7, 0.1, 0.3, by_group=by_group)
        return {d.group: s for s in SPLITS for d in out[s]}

    assert split_of(one, True) == split_of(two, True)
    assert split_of(one, False) != split_of(two, False)  # counting documents moves ranges between splits
    counts = {s: sum(1 for v in split_of(two, True).values() if v == s) for s in SPLITS}
    assert counts == {"heldout": 12, "fresh": 35, "train": 70}

    def kept(docs):  # max_docs counts ranges too: the same ranges in both languages
        return {d.group for part in assign(docs, 7, 0.1, 0.3, max_docs=50, by_group=True).values() for d in part}

    assert kept(one) == kept(two) and len(kept(one)) == 50


def _fake_root(tmp_path, edit) -> None:
    """A Debian root holding an edited copy of the English translation file."""
    (file,) = get_card("quran-en").files
    original = sources.card_files(get_card("quran-en"))[0][0]
    target = tmp_path / file.lstrip("/")
    target.parent.mkdir(parents=True)
    target.write_text(edit(original.read_text(encoding="utf-8")), encoding="utf-8")


def test_a_member_with_a_missing_or_extra_verse_is_an_error_naming_the_ranges(monkeypatch, tmp_path):
    if missing("quran-en"):
        pytest.skip(missing("quran-en"))

    def drop_and_add(text):
        lines = text.splitlines()
        # sura 2 starts at the 8th verse line; 2:255 is verse line 7 + 255
        verse_lines = [i for i, line in enumerate(lines) if line.startswith("\\qt@newcmd")]
        extra = lines[verse_lines[7 + 285]].replace("(286)", "(287)")
        del lines[verse_lines[7 + 254]]
        lines.insert(verse_lines[7 + 285], extra)
        return "\n".join(lines)

    _fake_root(tmp_path / "debian", drop_and_add)
    monkeypatch.setattr(sources, "debian_roots", lambda: [tmp_path / "debian"])
    with pytest.raises(UserError, match=r"missing 2:255 \(range 2:253-255\); extra 2:287; every language"):
        prepare(aligned("quran-en", tmp_path / "prepared"))
    assert not (tmp_path / "prepared").exists()
    # unaligned, the same file still prepares: the check belongs to the aligned group
    prepare(CorpusConfig(name="quran-en", prepared_dir=str(tmp_path / "prepared")))


def test_a_range_that_repeats_another_is_an_error_not_a_silent_drop(tmp_path):
    if missing("quran-en"):
        pytest.skip(missing("quran-en"))
    with pytest.raises(UserError, match=r"aligned_verses = 2 the verse range\(s\) 46:1-2 \(= 45:1-2\) repeat .*\(3 and 5"):
        prepare(CorpusConfig(name="quran-en", prepared_dir=str(tmp_path), aligned_verses=2))


def test_a_language_whose_package_is_missing_names_the_install_command(monkeypatch, tmp_path):
    monkeypatch.setattr(sources, "debian_roots", lambda: [tmp_path])
    with pytest.raises(UserError, match=r"texlive-lang-arabic is not installed .*install-debian-corpora\.sh.*"
                                        r"apt-get download texlive-lang-arabic"):
        prepare(aligned("quran-ar", tmp_path))


def test_aligned_verses_on_a_corpus_without_verses_is_an_error(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("\n\n".join(f"Paragraph {i} with enough words to be a document." * 5 for i in range(20)))
    cfg = CorpusConfig(name="notes", language="en", aligned_verses=3, prepared_dir=str(tmp_path / "p"),
                       source=SourceConfig(kind="local", path=str(path)))
    with pytest.raises(UserError, match=r"corpus.aligned_verses = 3, but corpus 'notes' has no aligned verse "
                                        r"ranges; it applies to the corpora quran-ar, quran-bn, "):
        prepare(cfg)
