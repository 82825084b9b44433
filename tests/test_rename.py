"""Renaming an article keeps every translation, by command or by hand."""
from __future__ import annotations

import polib

from conftest import SLUG, command, copy_project


def cli(root, *args):
    """`make-editions --root ROOT ARGS`, in this process (conftest.command)."""
    return command("--root", str(root), *args)


def test_rename_moves_the_article_and_its_catalogs_and_the_next_build_republishes(tmp_path):
    root = copy_project(tmp_path / "p")
    assert cli(root, "build", "--format", "html").returncode == 0
    done = cli(root, "rename", SLUG, "darker-cloud")
    assert done.returncode == 0, done.stderr
    assert not (root / "manuscripts" / f"{SLUG}.md").exists()
    assert "slug: darker-cloud\n" in (root / "manuscripts" / "darker-cloud.md").read_text(encoding="utf-8")
    assert (root / "translations" / "fa_AF" / "LC_MESSAGES" / "darker-cloud.po").exists()
    build = cli(root, "build", "--format", "html")
    assert build.returncode == 0, build.stderr
    for tag in ("en", "fa-AF", "ps-AF"):
        assert (root / "dist" / "darker-cloud" / f"darker-cloud.{tag}.html").exists()
    assert not (root / "dist" / SLUG).exists()
    assert cli(root, "rename", "darker-cloud", "Bad_Slug").returncode == 2
    (root / "manuscripts" / "taken.md").write_text("x", encoding="utf-8")
    assert cli(root, "rename", "darker-cloud", "taken").returncode == 2
    assert cli(root, "rename", "no-such", "other").returncode == 2


def test_an_article_renamed_by_hand_comes_back_fully_translated(tmp_path):
    root = copy_project(tmp_path / "p")
    before = polib.pofile(str(root / "translations" / "fa_AF" / "LC_MESSAGES" / f"{SLUG}.po"))
    text = (root / "manuscripts" / f"{SLUG}.md").read_text(encoding="utf-8")
    (root / "manuscripts" / f"{SLUG}.md").unlink()
    (root / "manuscripts" / "by-hand.md").write_text(text.replace(f"slug: {SLUG}", "slug: by-hand"), encoding="utf-8")
    status = cli(root, "status")
    assert f"orphaned: no manuscript named {SLUG}.md" in status.stdout
    check = cli(root, "check")
    assert f"translations/fa_AF/LC_MESSAGES/{SLUG}.po:1: warning: orphan: " in check.stdout
    assert f"make-editions rename {SLUG}" in check.stdout
    build = cli(root, "build", "--format", "html")
    assert build.returncode == 0, build.stderr
    assert (root / "dist" / "by-hand" / "by-hand.fa-AF.html").exists()  # published: nothing left to review
    after = polib.pofile(str(root / "translations" / "fa_AF" / "LC_MESSAGES" / "by-hand.po"))
    assert {e.msgid: e.msgstr for e in after} == {e.msgid: e.msgstr for e in before if not e.obsolete}
    assert all(not e.fuzzy and "exact match" in e.tcomment for e in after)


def test_an_exact_match_from_another_article_stays_fuzzy(tiny):
    from conftest import write_manuscript

    assert cli(tiny, "update").returncode == 0
    po_path = tiny / "translations" / "fa_AF" / "LC_MESSAGES" / "tiny.po"
    po = polib.pofile(str(po_path))
    for e in po:
        e.msgstr = e.msgid
    po.save(str(po_path))
    write_manuscript(tiny, "other", "## A heading\n\nSomething new.")
    assert cli(tiny, "update").returncode == 0
    other = polib.pofile(str(tiny / "translations" / "fa_AF" / "LC_MESSAGES" / "other.po"))
    heading = other.find("A heading")
    assert heading.fuzzy and "Suggested by translation memory from" in heading.tcomment
