import json
import pytest

from conftest import ROOT, SLUG, write_manuscript
from editions.errors import EditionsError
from editions.manuscript import list_marker, read


@pytest.fixture(scope="module")
def seed():
    return read(ROOT / "manuscripts" / f"{SLUG}.md")


def test_front_matter_fields_are_segments_with_their_role(seed):
    assert [(name, seg.comment) for name, seg in seed.fields] == [
        ("title", "title"), ("author", "author's name"),
        ("author_role", "author's role"), ("credit", "credit line")]
    assert seed.field("author_role").msgid == "Afghanistan and regional analyst (Germany)"
    assert seed.lang == "en" and seed.kind == "opinion" and seed.date.isoformat() == "2026-11-24"


def test_body_splits_into_block_segments_with_lines(seed):
    body = seed.segments[len(seed.fields):]
    kinds = [s.comment for s in body]
    assert kinds.count("paragraph") == 7
    assert kinds.count("heading (level 2)") == 2
    assert [k for k in kinds if k.startswith("list item")] == [
        "list item 1.", "list item 2.", "list item 3.", "list item a)", "list item b)", "list item c)"]
    source = (ROOT / "manuscripts" / f"{SLUG}.md").read_text().splitlines()
    for seg in body:  # each segment starts on the line it names
        first_words = seg.msgid.split()[0].strip("*")
        assert first_words in source[seg.line - 1], (seg.line, seg.msgid[:40])


def test_list_items_keep_inline_markup_but_not_their_marker(seed):
    item = next(s for s in seed.segments if s.comment == "list item a)")
    assert item.msgid.startswith("**Growing Influence and Recruitment:** Given the discontent")
    assert "\n" not in item.msgid and "  " not in item.msgid


def test_lettered_list_is_a_real_lettered_list(seed):
    blocks = json.loads(seed.skeleton)["blocks"]
    lists = [b for b in blocks if b["t"] == "OrderedList"]
    assert [(lst["c"][0][1]["t"], len(lst["c"][1])) for lst in lists] == [("Decimal", 3), ("LowerAlpha", 3)]


def test_list_markers():
    assert list_marker("LowerAlpha", "OneParen", 3) == "c)"
    assert list_marker("Decimal", "Period", 12) == "12."
    assert list_marker("LowerRoman", "TwoParens", 4) == "(iv)"


@pytest.mark.parametrize("front, line, message", [
    ({"slug": "Bad_Slug"}, 2, "slug 'Bad_Slug' is not valid"),
    ({"lang": "de"}, 3, "lang 'de' is not valid"),
    ({"date": "24/11/2026"}, 6, "is not an ISO date"),
    ({"colour": "red"}, 7, "unknown front-matter field 'colour'"),
])
def test_bad_front_matter_names_file_and_line(tmp_path, front, line, message):
    path = write_manuscript(tmp_path, "piece", "Text.", **front)
    if "slug" in front:
        path = path.rename(path.with_name("Bad_Slug.md"))
    with pytest.raises(EditionsError) as err:
        read(path)
    assert err.value.line == line
    assert message in err.value.message
    assert str(err.value).startswith(f"{path}:{line}: error: ")


def test_missing_field_and_unsupported_block_are_errors(tmp_path):
    with pytest.raises(EditionsError, match="required field 'author'"):
        read(write_manuscript(tmp_path, "a", "Text.", author=None))
    path = write_manuscript(tmp_path, "b", "Text.\n\nTerm\n: a definition")
    with pytest.raises(EditionsError) as err:
        read(path)
    assert err.value.line == 11 and "definition list" in err.value.message


def test_raw_html_in_a_manuscript_is_refused_at_its_line(tmp_path):
    with pytest.raises(EditionsError) as err:
        read(write_manuscript(tmp_path, "c", "Fine.\n\nHello <script>alert(1)</script> there."))
    assert err.value.line == 11 and "raw HTML" in err.value.message


def test_each_segment_is_its_own_text_only(tmp_path):
    """pandoc's block ranges can run into the next block; tabs count as tab stops."""
    body = ("The risks are:\n- first risk\n\n1. First point\n   - sub one\n2. Second\n   > quoted\n\n"
            "Setext Title\n------------\n\n>\tquoted line\n>\tsecond line\n\n"
            "Line one  \nline two\\\nthree\u00a0four.")
    ms = read(write_manuscript(tmp_path, "seg", body))
    got = [s.msgid for s in ms.segments[len(ms.fields):]]
    assert got == ["The risks are:", "first risk", "First point", "sub one", "Second", "quoted",
                   "Setext Title", "quoted line second line", "Line one\\\nline two\\\nthree\u00a0four."]


def test_notes_and_reference_links_become_ordinary_segments(tmp_path):
    ms = read(write_manuscript(tmp_path, "x", "see [ref][r] now[^a]\n\n[r]: https://x.org\n[^a]: the note"))
    got = [(s.msgid, s.comment) for s in ms.segments[len(ms.fields):]]
    assert got == [("see [ref](https://x.org) now[^1]", "paragraph"), ("the note", "note 1")]


def test_blank_fields_count_as_missing_and_dates_stay_in_range(tmp_path):
    ms = read(write_manuscript(tmp_path, "a", "Text.", credit='"  "'))
    assert ms.field("credit") is None
    with pytest.raises(EditionsError) as err:
        read(write_manuscript(tmp_path, "b", "Text.", title='"   "'))
    assert err.value.line == 4 and "title" in err.value.message
    with pytest.raises(EditionsError) as err:
        read(write_manuscript(tmp_path, "c", "Text.", date="0226-11-24"))
    assert err.value.line == 6 and "out of range" in err.value.message
