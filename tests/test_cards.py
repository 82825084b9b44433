"""editions.cards: the generated social card (issue 13) — size, bytes, script, direction,
shaping, and titles nobody should have written."""
from __future__ import annotations

import functools
import struct
import subprocess
import sys
from io import BytesIO
from pathlib import Path

import polib
import pytest
from PIL import Image, ImageChops

from editions import cards
from editions.errors import EditionsError

ROOT = Path(__file__).resolve().parent.parent
SLUG = "cloud-over-the-taliban"


def titles(slug: str = SLUG) -> dict[str, str]:
    """The article's title in each edition: the manuscript's, and each catalog's first entry."""
    text = (ROOT / "manuscripts" / f"{slug}.md").read_text(encoding="utf-8")
    out = {"en": next(line[len("title:"):].strip() for line in text.splitlines() if line.startswith("title:"))}
    for tag, folder in (("fa-AF", "fa_AF"), ("ps-AF", "ps_AF")):
        po = polib.pofile(str(ROOT / "translations" / folder / "LC_MESSAGES" / f"{slug}.po"))
        out[tag] = po[0].msgstr
    return out


def image(data: bytes) -> Image.Image:
    img = Image.open(BytesIO(data))
    img.load()
    return img


@functools.lru_cache(maxsize=None)
def blank(tag: str, kind: str = "") -> Image.Image:
    """The card without a title, made once per edition and kicker (its bytes depend on the
    arguments only: test_the_bytes_depend_on_the_arguments_only)."""
    return image(cards.card(ROOT, tag, "", kind)).convert("RGB")


def ink(tag: str, title: str, kind: str = "", data: bytes | None = None) -> tuple[int, int, int, int] | None:
    """The bounding box of what the title adds to the card (None: nothing); `data`: that
    card, when the caller has made it already."""
    full = image(cards.card(ROOT, tag, title, kind) if data is None else data).convert("RGB")
    return ImageChops.difference(full, blank(tag, kind)).getbbox()


def title_pixels(tag: str, title: str) -> Image.Image:
    """The card below the kicker's place, in grey (the title alone is drawn there)."""
    img = image(cards.card(ROOT, tag, title)).convert("L")
    return img.crop((0, cards.RULE_TOP + cards.RULE_HEIGHT + 1, cards.WIDTH, cards.HEIGHT))


def chunks(data: bytes) -> list[str]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    out, pos = [], 8
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        out.append(kind.decode("ascii"))
        pos += 12 + length
    return out


@pytest.mark.parametrize("tag", ["en", "fa-AF", "ps-AF"])
def test_a_card_is_a_1200_by_630_png_without_metadata(tag):
    data = cards.card(ROOT, tag, titles()[tag], "Opinion")
    img = image(data)
    assert (img.format, img.size) == ("PNG", (1200, 630))
    assert set(chunks(data)) <= {"IHDR", "PLTE", "IDAT", "IEND"}, chunks(data)
    # The title is there, in ink, and the masthead and rule in the accent colour.
    rgb = img.convert("RGB")
    assert rgb.getpixel((600, cards.RULE_TOP + 2)) == (0x9B, 0x1C, 0x1C)
    assert ink(tag, titles()[tag]) is not None


def test_the_bytes_depend_on_the_arguments_only():
    t = titles()
    first = {tag: cards.card(ROOT, tag, t[tag], "Analysis") for tag in t}
    assert all(cards.card(ROOT, tag, t[tag], "Analysis") == first[tag] for tag in t)
    # A fresh process, with nothing cached, makes the same bytes.
    code = ("import sys, hashlib; from pathlib import Path; from editions import cards; "
            "sys.stdout.write(hashlib.sha256(cards.card(Path(sys.argv[1]), sys.argv[2], sys.argv[3], "
            "'Analysis')).hexdigest())")
    import hashlib

    for tag in ("fa-AF", "en"):
        out = subprocess.run([sys.executable, "-c", code, str(ROOT), tag, t[tag]],
                             capture_output=True, text=True, check=True, timeout=300).stdout
        assert out == hashlib.sha256(first[tag]).hexdigest()
    assert len(set(first.values())) == 3


def test_dari_and_pashto_titles_are_set_right_aligned_and_english_left_aligned():
    for tag, word in (("fa-AF", "کابل"), ("ps-AF", "کابل"), ("en", "Kabul")):
        left, _, right, _ = ink(tag, word)
        if tag == "en":
            assert left in range(cards.MARGIN - 2, cards.MARGIN + 12) and right < cards.WIDTH / 2
        else:
            assert right in range(cards.WIDTH - cards.MARGIN - 10, cards.WIDTH - cards.MARGIN + 3) \
                and left > cards.WIDTH / 2
    # A Latin-only title in a Dari edition still starts at the right, as the page's <h1 dir=rtl> does.
    assert ink("fa-AF", "Kabul")[0] > cards.WIDTH / 2


def test_arabic_letters_are_joined():
    """Shaped, the joined word is narrower than its letters set apart (initial and medial
    forms are short); drawn without shaping it would be as wide as they are."""
    word = "سنگر"
    joined = ink("fa-AF", word)
    letters = [ink("fa-AF", letter) for letter in word]
    width = lambda box: box[2] - box[0]  # noqa: E731
    assert width(joined) < 0.8 * sum(width(box) for box in letters)


def test_zwnj_keeps_letters_apart():
    """می‌شود with its ZWNJ shows a final ی (with its tail) where میشود has a medial one."""
    width = lambda box: box[2] - box[0]  # noqa: E731
    assert width(ink("fa-AF", "می\u200cشود")) > width(ink("fa-AF", "میشود")) + 5


def test_words_follow_each_other_right_to_left():
    """The first word of a Dari title is at the right: the card of "کابل باران" ends, at
    its right, in exactly the pixels of the card of "کابل" (and the same for a Latin word
    after it). Drawn left to right, باران would be there."""
    alone = title_pixels("fa-AF", "کابل")
    box = ImageChops.invert(alone).getbbox()
    for title in ("کابل باران", "کابل Kabul", "کابل ۱۴۰۳"):
        both = title_pixels("fa-AF", title)
        region = (box[0] - 2, 0, cards.WIDTH, alone.height)
        assert ImageChops.difference(alone.crop(region), both.crop(region)).getbbox() is None, title


def test_latin_reads_left_to_right_in_a_dari_title():
    """A Latin word in a Dari title is drawn as in an English one, letter for letter."""
    def glyphs(tag: str) -> Image.Image:
        img = title_pixels(tag, "Kabul")
        return img.crop(ImageChops.invert(img).getbbox())
    en, fa = glyphs("en"), glyphs("fa-AF")
    assert en.size == fa.size
    assert ImageChops.difference(en, fa).getbbox() is None


def test_bidi_levels_and_order():
    levels = cards.bidi_levels("کابل (ISIS-K) ۱۲٪ و", 1)
    text = "کابل (ISIS-K) ۱۲٪ و"
    assert [levels[i] for i in range(len(text)) if text[i] in "ISK-"] == [2] * 6
    assert levels[text.index("(")] == levels[text.index(")")] == 1   # N0: the brackets go with the Dari
    assert [levels[text.index(c)] for c in "۱۲٪"] == [2, 2, 2]       # W5: the per-mille sign joins the number
    assert cards.bidi_levels("abc", 0) == [0, 0, 0]
    assert cards.bidi_levels("a\u200cb", 1) == [2, 2, 2]              # ZWNJ goes with its letters
    # L2: runs at odd levels reversed, numbers inside them kept left to right.
    assert cards.visual_order([1, 1, 2, 2, 1]) == [4, 2, 3, 1, 0]
    assert cards.visual_order([0, 1, 1, 0]) == [0, 2, 1, 3]


def test_control_and_bidi_override_characters_are_removed():
    assert cards.clean("a\u202eb\u202cc\x00\x07\u2066d\u2069\ufeff\u200be") == "abcde"
    assert cards.clean("  می\u200cشود\n\t« x »  ") == "می\u200cشود « x »"
    # A reversed title is drawn as the plain one.
    assert cards.card(ROOT, "en", "\u202eKabul\u202c is dry") == cards.card(ROOT, "en", "Kabul is dry")
    assert cards.card(ROOT, "fa-AF", "\u202dکابل\u202c") == cards.card(ROOT, "fa-AF", "کابل")


def test_characters_no_face_has_are_left_out_not_drawn_as_boxes():
    assert cards.card(ROOT, "fa-AF", "کابل 😀\ufe0f") == cards.card(ROOT, "fa-AF", "کابل")
    assert cards.card(ROOT, "en", "Kabul 👨\u200d👩\u200d👧 dry") == cards.card(ROOT, "en", "Kabul dry")


HOSTILE = [
    "",
    " \n\t ",
    "\x00\x01\x1b[31m\u202e\u2066",
    "x" * 5000,
    "ب" * 5000,
    ("این یعنی ابر بالای سر طالبان روزبه‌روز تیره‌تر می‌شود " * 100),
    "word " * 1000,
    "Z" + "\u0301\u0302\u0303\u0304" * 200 + "algo " + "x\u20dd" * 40,
    "😀" * 300,
    "Only Latin, in a Dari edition (2024)",
    "(((((((((( [[[[ «««« »»»» ]]]] ))))",
    "\ud800 lone surrogate \udfff",
    "Ελληνικά кириллица 中文 עברית ✓ ∑ \U0010fffd \ue000",
    "\u200c\u200d" * 50 + "می\u200c\u200c\u200cشود",
    "https://example.invalid/" + "a/" * 400,
]


@pytest.mark.parametrize("tag", ["en", "fa-AF", "ps-AF"])
@pytest.mark.parametrize("title", HOSTILE, ids=range(len(HOSTILE)))
def test_odd_titles_do_not_break_the_card_nor_leave_their_room(tag, title):
    data = cards.card(ROOT, tag, title, "Opinion")
    assert image(data).size == (1200, 630)
    box = ink(tag, title, "Opinion", data)
    if box:
        left, top, right, bottom = box
        assert left >= cards.MARGIN - 20 and right <= cards.WIDTH - cards.MARGIN + 20
        assert top >= 200 and bottom <= cards.HEIGHT - 24  # below the kicker, above the edge


@pytest.mark.parametrize("tag", ["en", "fa-AF"])
def test_a_long_title_is_cut_to_four_lines_with_an_ellipsis(tag):
    para = cards._prepare(titles()[tag] + " " + titles()[tag] * 20, tag != "en",
                          cards._Order(cards._faces(ROOT).order("bold", tag != "en"), "fa"))
    size, lines = cards._fit(para, cards.BOTTOM - 240, tag != "en")
    assert size == cards.TITLE_SIZES[-1] and len(lines) == cards.MAX_LINES
    assert all(line.width <= cards.MEASURE for line in lines)
    last = lines[-1].runs[0 if tag != "en" else -1]  # "…" ends the line: at its left in Dari
    assert last.text.endswith(cards.ELLIPSIS)


def test_a_short_title_is_set_large_and_a_long_one_smaller():
    para = lambda text: cards._prepare(text, False, cards._Order(cards._faces(ROOT).order("bold", False), "fa"))  # noqa: E731
    short, _ = cards._fit(para("Kabul is drilling itself dry"), 330, False)
    long_, lines = cards._fit(para(titles()["en"] * 3), 330, False)
    assert short > long_ and len(lines) <= cards.MAX_LINES


def test_the_names():
    assert cards.name("kabul-water-crisis", "fa-AF") == "kabul-water-crisis.fa-AF.png"
    for slug, tag in (("../etc", "en"), ("a/b", "en"), ("ok", "de")):
        with pytest.raises(ValueError):
            cards.name(slug, tag)


def test_the_faces_come_from_fonts_toml(tmp_path):
    (tmp_path / "styles").mkdir()
    conf = (ROOT / "styles" / "fonts.toml").read_text(encoding="utf-8")
    (tmp_path / "styles" / "fonts.toml").write_text(
        conf.replace('source_dir = "/usr/share/fonts/truetype/noto"', f'source_dir = "{tmp_path}/none"'),
        encoding="utf-8")
    with pytest.raises(EditionsError, match="Sangar Sans Arabic"):
        cards.card(tmp_path, "fa-AF", "کابل")
