"""A Bengali font inside the self-contained report, so that the page reads the same on a machine
without one (where the browser would draw tofu boxes).

The font is Noto Sans Bengali from Debian's fonts-noto-core (OFL), looked for where textmad looks
for Debian files: installed system-wide, or unpacked without root by
``scripts/install-debian-corpora.sh "" fonts-noto-core`` (scripts/setup.sh does it). It is cut with
fontTools to the characters the page uses, keeping every OpenType layout feature (the conjuncts and
vowel-sign forms are glyphs reached only through them), and inlined as a WOFF data URI restricted
by ``unicode-range`` to Bengali, so Latin text keeps the reader's own font.
"""
from __future__ import annotations

import base64
import io
from pathlib import Path

FAMILY = "textmad Bengali"
PACKAGE = "fonts-noto-core"
FONT_FILES = ("usr/share/fonts/truetype/noto/NotoSansBengali-Regular.ttf",)
INSTALL = f'bash scripts/install-debian-corpora.sh "" {PACKAGE}'
# Bengali, the dandas it borrows from Devanagari, and the joiners that select conjunct forms.
RANGES = ((0x0980, 0x09FF), (0x0964, 0x0965), (0x200C, 0x200D))
UNICODE_RANGE = ", ".join(f"U+{lo:04X}-{hi:04X}" for lo, hi in RANGES)


def needs_font(text: str) -> bool:
    return any(0x0980 <= ord(ch) <= 0x09FF for ch in text)


def find_font() -> Path | None:
    from textmad.corpus.sources import debian_roots

    return next((root / rel for root in debian_roots() for rel in FONT_FILES if (root / rel).is_file()), None)


def subset_woff(font: Path, text: str) -> bytes:
    """``font`` cut to the characters of ``text`` within RANGES, every layout feature kept, as WOFF
    (zlib; WOFF2 would need the brotli module)."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    chars = {ch for ch in text if any(lo <= ord(ch) <= hi for lo, hi in RANGES)}
    options = subset.Options()
    options.layout_features = ["*"]
    options.flavor = "woff"
    subsetter = subset.Subsetter(options)
    subsetter.populate(text="".join(sorted(chars)))
    with TTFont(font) as tt:
        subsetter.subset(tt)
        buffer = io.BytesIO()
        tt.flavor = "woff"
        tt.save(buffer)
    return buffer.getvalue()


def font_face_css(text: str) -> tuple[str, str]:
    """(@font-face CSS embedding the Bengali the page ``text`` uses, a note for the user): the CSS is
    empty where the page has no Bengali, and the note says how to install the font where none is found."""
    if not needs_font(text):
        return "", ""
    font = find_font()
    if font is None:
        return "", (f"the page has Bengali text but no Bengali font was found to embed ({FONT_FILES[0]}); "
                    f"readers without one will see boxes. Install it with: {INSTALL}")
    data = base64.b64encode(subset_woff(font, text)).decode("ascii")
    return (f'@font-face {{ font-family: "{FAMILY}"; src: url("data:font/woff;base64,{data}") format("woff"); '
            f"unicode-range: {UNICODE_RANGE}; }}\n"), ""
