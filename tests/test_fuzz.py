"""A fuzz target that keeps running: hostile or broken Dari catalogs and manuscripts, built
again and again. Every run ends within a generous bound, exits through a Report (no
traceback), speaks only in `path[:line]: error:` lines, touches nothing outside the
project, and still builds every other language."""
from __future__ import annotations

import re
import shutil
import signal

import polib
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from conftest import ROOT, translate_all, write_manuscript
from editions.build import Project, build
from editions.executor import Local

BOUND = 120  # seconds: far above a normal run (< 1 s), so only a hang or a blow-up trips it
MESSAGE = re.compile(r"[^\n:]+(?::\d+)?: error: \S.*")
HOSTILE = st.sampled_from([
    "**" * 400 + "متن" + "**" * 400, "*_" * 2500 + "x", "[" * 3000 + "x" + "]" * 3000, "](" * 5000,
    "ابر\u2028تیره\u2029و\u0085پایان", "عنوان\U000e0041\U000e0042", "عنوان\u061c", "\\101\\x41\\a", "<b>پررنگ</b>",
    "[پیوند](javascript:alert(1))", "\u202eمعکوس", "%(x)s %", "[^9]", "ا" * 50_000, "", "ترجمه",
])
HEADERS = st.sampled_from([
    "nplurals=2; plural=(n > 1);", "nplurals=" + "9" * 5000 + "; plural=0;", "nplurals=2; plural=(n > 1) x();",
    "nplurals=7; plural=n;",
])
FRONT = st.sampled_from(["", "lang: [en]\n", "x: &a [1]\ny: *a\n", "title: Again\n", "kind: " + "[" * 2000 + "\n",
                         "date: 2026-13-45\n", "slug: other\n"])
BODY = st.sampled_from(["Text.", "# Top\n\nText.", "<script>x</script>", "Call[^nope].", "![i](../../etc/passwd)",
                        "[rel](/x)", "| a |\n|---|\n| 1 |", "Text[^a].\n\n[^a]: " + "[" * 500 + "x"])


class Bound(Exception):
    pass


def _alarm(signum, frame):
    raise Bound(f"a run took more than {BOUND} s")


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    root = tmp_path_factory.mktemp("fuzz") / "p"
    shutil.copytree(ROOT / "styles", root / "styles")
    for ui in ROOT.glob("translations/*/LC_MESSAGES/messages.po"):
        (root / ui.relative_to(ROOT)).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ui, root / ui.relative_to(ROOT))
    write_manuscript(root, "tiny", "First paragraph with **bold** and a [link](https://example.org/).\n\n"
                                   "## A heading\n\n1. **One:** first item")
    build(Project(root), formats=["html"], runner=Local(1))
    translate_all(root, "tiny")
    build(Project(root), formats=["html"], runner=Local(1))
    return root


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@example(msgstr="**" * 400 + "متن" + "**" * 400, header="nplurals=2; plural=(n > 1);", front="", body="Text.",
         which="catalog")
@example(msgstr="ترجمه", header="nplurals=" + "9" * 5000 + "; plural=0;", front="", body="Text.", which="catalog")
@example(msgstr="ترجمه", header="nplurals=2; plural=(n > 1);", front="x: &a [1]\ny: *a\n", body="Text.",
         which="manuscript")
@given(msgstr=HOSTILE, header=HEADERS, front=FRONT, body=BODY, which=st.sampled_from(["catalog", "manuscript"]))
def test_any_hostile_input_ends_cleanly_and_stops_only_itself(base, tmp_path_factory, msgstr, header, front, body,
                                                              which):
    root = tmp_path_factory.mktemp("run") / "p"
    shutil.copytree(base, root)
    outside = root.parent / "outside.txt"
    outside.write_text("untouched", encoding="utf-8")
    if which == "catalog":
        path = Project(root).po("tiny", "fa-AF")
        po = polib.pofile(str(path))
        po.metadata["Plural-Forms"] = header
        po[0].msgstr = msgstr
        po.save(str(path))
    else:
        write_manuscript(root, "bad", body)
        bad = root / "manuscripts" / "bad.md"
        bad.write_text(bad.read_text(encoding="utf-8").replace("date:", front + "date:", 1), encoding="utf-8")
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(BOUND)
    try:
        report = build(Project(root), formats=["html"], runner=Local(1))
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    for line in (l for e in report.errors for l in e.splitlines()):
        assert MESSAGE.fullmatch(line), line
    dist = root / "dist" / "tiny"
    assert (dist / "tiny.en.html").exists() and (dist / "tiny.ps-AF.html").exists()  # the others still built
    if which == "manuscript":
        assert (dist / "tiny.fa-AF.html").exists()
    assert outside.read_text(encoding="utf-8") == "untouched"
    assert sorted(p.name for p in root.parent.iterdir()) == ["outside.txt", "p"]
