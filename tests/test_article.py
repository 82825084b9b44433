"""The article model: every element of an ordinary article reaches the segments and the
editions exactly, and what the model cannot carry is refused at the editor's line."""
import json
import re
from html.parser import HTMLParser

import pytest

from editions.errors import EditionsError, each
from editions.manuscript import read
from editions.render.html import pandoc_html
from editions.translate import edition


def manuscript(tmp_path, body: str, name: str = "piece"):
    folder = tmp_path / "manuscripts"
    folder.mkdir(exist_ok=True)
    path = folder / f"{name}.md"
    path.write_text(f"---\nslug: {name}\ntitle: T\nauthor: A\ndate: 2026-11-20\n---\n\n{body}\n", encoding="utf-8")
    photo(folder / "images" / "x.jpg")
    return path


def photo(path):
    from PIL import Image

    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (64, 48), (120, 90, 60)).save(path)
    return path


def body_segments(ms):
    return [s.msgid for s in ms.segments[len(ms.fields):]]


class _Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.parts, self.hrefs = [], []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and "footnote" not in (a.get("class") or ""):
            self.hrefs.append(a.get("href"))
        if tag == "img":
            self.parts.append(" " + (a.get("alt") or "") + " ")

    def handle_data(self, data):
        self.parts.append(data)


def html_of(ms, tag="en", table=None, pictures=None):
    parser = _Text()
    parser.feed(pandoc_html(edition(ms, tag, table, pictures=pictures)))
    return "".join(parser.parts).replace("↩︎", " "), parser.hrefs


# Each case: what an editor writes → the msgid a translator sees (every link, code span,
# emphasis and word of the block, at any position).
EXACT = [
    ("Read the [full report](https://x.org/r)", "Read the [full report](https://x.org/r)"),
    ("[Reuters](https://reuters.com) reported the attack.", "[Reuters](https://reuters.com) reported the attack."),
    ("- [UN report](https://un.org/r)", "[UN report](https://un.org/r)"),
    ("- `x86_64-apple-darwin` (Minimum OS raised)", "`x86_64-apple-darwin` (Minimum OS raised)"),
    ("Write to us at <desk@sangar.example>", "Write to us at <desk@sangar.example>"),
    ("*Editor's note: in **Hasht-e Subh***", "*Editor’s note: in **Hasht-e Subh***"),
    ("See https://bare.example/x now", "See <https://bare.example/x> now"),
    ("Was ~~12~~ now 10^6^ and CO~2~", "Was ~~12~~ now 10^6^ and CO~2~"),
    ('He said "no" -- twice --- and left...', "He said “no” – twice — and left…"),
    ("[Update]: The ministry later revised the toll.", "[Update]: The ministry later revised the toll."),
    ("`only code`", "`only code`"),
    ("<https://only.example/link>", "<https://only.example/link>"),
    ("Read [the report][r] today.\n\n[r]: https://x.org/r", "Read [the report](https://x.org/r) today."),
    ("a * b and snake_case and 5*3", "a \\* b and snake_case and 5\\*3"),
    ("Line one\\\nline two", "Line one\\\nline two"),
]


@pytest.mark.parametrize("source, msgid", EXACT)
def test_a_segment_is_exactly_its_block(tmp_path, source, msgid):
    ms = read(manuscript(tmp_path, source))
    assert body_segments(ms) == [msgid]
    text, hrefs = html_of(ms)
    for url in re.findall(r"\((https?://[^)]+)\)|<(https?://[^>]+)>|\]: (https?://\S+)", source):
        assert next(u for u in url if u) in hrefs
    assert "[" not in text.replace("[Update]", "")  # no link syntax shows as text


def test_dari_quotes_for_a_dari_source(tmp_path):
    path = manuscript(tmp_path, 'او گفت "نه" و رفت.')
    path.write_text(path.read_text(encoding="utf-8").replace("date:", "lang: fa-AF\ndate:"), encoding="utf-8")
    assert body_segments(read(path)) == ["او گفت «نه» و رفت."]


def test_notes_tables_and_figures_are_segments_with_comments(tmp_path):
    ms = read(manuscript(tmp_path, (
        "Deaths rose.[^n]\n\n"
        '![Crowds in Kabul.](images/x.jpg){alt="A crowd by a wall" credit="Photo: AP"}\n\n'
        "| Province | Deaths |\n|:--|--:|\n| Kabul | 1,234 |\n\nTable: Deaths by province\n\n"
        "[^n]: Source: [the ministry](https://x.org/m).")))
    got = [(s.msgid, s.comment) for s in ms.segments[len(ms.fields):]]
    assert got == [
        ("Deaths rose.[^1]", "paragraph"),
        ("Source: [the ministry](https://x.org/m).", "note 1"),
        ("A crowd by a wall", "image description for blind readers"),
        ("Crowds in Kabul.", "figure caption"),
        ("Photo: AP", "figure credit (photographer, agency)"),
        ("Deaths by province", "table caption"),
        ("Province", "table column header 1"),
        ("Deaths", "table column header 2"),
        ("Kabul", "table cell, row 1, column «Province»"),
    ]
    pictures = {"images/x.jpg": {"src": "../assets/images/abc-960.jpg", "width": 960, "height": 640,
                                 "srcset": "../assets/images/abc-960.webp 960w"}}
    page = pandoc_html(edition(ms, "en", None, pictures=pictures))
    img = re.search(r'<figure>\s*<img ([^>]*)/>', page).group(1)
    for attr in ('src="../assets/images/abc-960.jpg"', 'width="960"', 'height="640"', 'loading="eager"',
                 'srcset="../assets/images/abc-960.webp 960w"', 'alt="A crowd by a wall"'):
        assert attr in img
    assert '<figcaption>Crowds in Kabul. <span class="credit">Photo: AP</span></figcaption>' in page
    assert "<caption>Deaths by province</caption>" in page and 'role="doc-endnotes"' in page
    dari = {s.msgid: s.msgid for s in ms.segments}
    dari["Deaths rose.[^1]"] = "مرگ‌ها بیشتر شد.[^1]"
    page = pandoc_html(edition(ms, "fa-AF", dari, pictures=pictures))
    assert "۱٬۲۳۴" in page and "1,234" not in page  # a numeric cell in the edition's digits
    assert 'style="text-align: right;">Province' in page  # alignment mirrored
    assert 'href="https://x.org/m"' in page


def test_a_translation_that_drops_a_note_call_keeps_the_note(tmp_path):
    ms = read(manuscript(tmp_path, "One.[^a] Two.[^b]\n\n[^a]: First note.\n[^b]: Second note."))
    table = {s.msgid: s.msgid for s in ms.segments}
    table["One.[^1] Two.[^2]"] = "یک. دو.[^2] سه.[^7]"
    text, _ = html_of(ms, "fa-AF", table)
    assert "First note." in text and "Second note." in text and "[^7]" in text


REFUSED = [
    ("Fine.\n\nSome <span>inline</span> html.", 10, "raw HTML"),
    ("Fine.\n\n<!-- a comment -->", 10, "[//]: # (your note)"),
    ("Fine.\n\n<div>block</div>", 10, "raw HTML"),
    ("# Body title\n\nText.", 8, "only top heading"),
    ("Text before ![alt](images/x.jpg) after.", 8, "inside a sentence"),
    ("See [our report](/2024/05/kabul-floods).", 8, "full address"),
    ("Click [here](javascript:alert(1)).", 8, "links must start with"),
    ("Text.\n\n[^x]: never called", 10, "never called"),
    ("Text.[^nope]", 8, "has no note"),
    ("Term\n: definition", 8, "definition list"),
    ("![Caption.](images/x.jpg)", 8, "blind readers"),
    ("## Head {.red}", 8, "only an id"),
    ("[a](https://x.org){onclick=alert(1)}", 8, "attributes"),
    ("See [the report][rpt] now.", 8, "no definition"),
    ("+---+---+\n| a | b |\n+===+===+\n| 1 | 2 |\n+---+---+", 8, "pipe table"),
    ("| District | Wells |\n|---|---|\n| Kabul<br>city | 1,250 |", 10, "raw HTML"),
    ("| A | B |\n|---|---|\n| x | ![c](images/x.jpg){alt=\"d\"} |", 10, "inside a sentence"),
    ("Text[^1].\n\n[^1]: Note[^2].\n\n[^2]: Inner words.", 10, "inside a note"),
    ("Text[^1].\n\n[^1]: Note,\n    and more[^2].\n\n[^2]: Inner words.", 11, "inside a note"),
    ('![Cap.](images/x.jpg "A title"){alt="d"}', 8, "title"),
    ('![Cap <b>x</b>.](images/x.jpg){alt="d"}', 8, "raw HTML"),  # a caption is checked like any text
    ("a </b> c", 8, "raw HTML"),
    ("| a | b |\n|---|---|\n| x | 1 |\n| y | 1 | 3 |", 11, "more cells than the header"),
    ("One[^a] two.\n\n[^a]: First.\n\n[^a]: Second.", 12, "defined twice"),
    ("[x][r] and [y][R]\n\n[r]: https://a.org\n[R]: https://b.org", 11, "defined twice"),
    ("A paragraph[^1] that calls a note\non its second line[^2].\n\n[^1]: One.", 9, "has no note"),
    ("| a | b |\n|---|---|\n| 1 | 2 |\n\nTable: x", None, None),  # accepted: the control case
]


@pytest.mark.parametrize("body, line, words", REFUSED)
def test_what_the_model_cannot_carry_is_refused_at_its_line(tmp_path, body, line, words):
    path = manuscript(tmp_path, body)
    if line is None:
        read(path)
        return
    with pytest.raises(EditionsError) as err:
        read(path)
    assert (err.value.line, words in err.value.message) == (line, True), str(err.value)


def test_every_problem_of_a_manuscript_is_reported_in_file_order(tmp_path):
    body = ("# Title\n\nText with <b>html</b>.\n\nA [rel](/x) link.\n\nNote call.[^q]\n\n"
            "[^q]: fine\n[^z]: unused")
    with pytest.raises(EditionsError) as err:
        read(manuscript(tmp_path, body))
    problems = each(err.value)
    assert [p.line for p in problems] == [8, 10, 12, 17]
    assert str(err.value).count(": error: ") == 4


def test_editor_comments_reach_no_segment_and_no_edition(tmp_path):
    ms = read(manuscript(tmp_path, "One.\n\n[//]: # (check the figures with the ministry)\n\nTwo."))
    assert body_segments(ms) == ["One.", "Two."]
    assert "ministry" not in json.dumps(ms.skeleton) and "ministry" not in html_of(ms)[0]


def test_a_number_with_a_note_or_link_in_a_table_cell_is_text_not_a_bare_number(tmp_path):
    ms = read(manuscript(tmp_path, "| District | Wells |\n|---|---|\n| Paghman | 5[^1] |\n| Herat | [7](https://x.org/) |"
                                   "\n\n[^1]: Ministry estimate, 2023."))
    assert {"5[^1]", "[7](https://x.org/)", "Ministry estimate, 2023."} <= set(body_segments(ms))
    text, hrefs = html_of(ms)
    assert "Ministry estimate" in text and "https://x.org/" in hrefs


def test_code_blocks_are_kept_and_not_translated(tmp_path):
    ms = read(manuscript(tmp_path, "Run:\n\n```sh\nmake editions\n```"))
    assert body_segments(ms) == ["Run:"]
    assert "make editions" in html_of(ms, "fa-AF", {"Run:": "اجرا:"})[0]


def test_check_and_build_report_the_same_problems_at_the_same_lines(tiny):
    from conftest import write_manuscript
    from editions.build import Project, build
    from editions.check import check_paths
    from editions.executor import Local

    path = write_manuscript(tiny, "bad", """
        A [relative](/x) link and <b>html</b>.

        ![Missing photo.](images/gone.jpg){alt="A photo"}

        Fine text.[^z]
        """)
    found = {(f.line, f.message) for f in check_paths([path]) if f.severity == "error"}
    report = build(Project(tiny), runner=Local(1), formats=["html"])
    built = {(int(m.group(1)), m.group(2)) for e in report.errors for line in e.splitlines()
             if (m := re.match(r".*bad\.md:(\d+): error: (.*)", line))}
    assert found == built and {line for line, _ in found} == {9, 11, 13}, (found, built)
    assert not (tiny / "dist" / "bad").exists()


def test_a_language_may_show_its_own_image(tmp_path):
    path = manuscript(tmp_path, '![Chart.](images/x.jpg){alt="A chart" src-fa-AF="images/chart.fa.png"}')
    from PIL import Image

    Image.new("RGB", (40, 30), (1, 2, 3)).save(path.parent / "images" / "chart.fa.png")
    ms = read(path)
    assert 'src="images/chart.fa.png"' in pandoc_html(edition(ms, "fa-AF", {s.msgid: s.msgid for s in ms.segments}))
    assert 'src="images/x.jpg"' in pandoc_html(edition(ms, "en", None))
    (path.parent / "images" / "chart.fa.png").unlink()
    with pytest.raises(EditionsError, match="chart.fa.png not found"):
        read(path)
