"""Shared fixtures: a copy of the real project in tmp_path, and small manuscripts."""
from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SLUG = "cloud-over-the-taliban"
ALL = tuple(sorted(p.stem for p in (ROOT / "manuscripts").glob("*.md")))  # every article of the project


def copy_project(dest: Path, with_translations: bool = True, slugs: tuple[str, ...] = (SLUG,)) -> Path:
    """The project's styles and the articles `slugs` — manuscripts, their images (and
    catalogs, with the UI's) — copied under `dest`."""
    shutil.copytree(ROOT / "styles", dest / "styles")
    names = [f"manuscripts/{slug}.md" for slug in slugs]
    if with_translations:
        names += [p.relative_to(ROOT).as_posix() for p in (ROOT / "translations").rglob("*")
                  if p.is_file() and p.stem in (*slugs, "messages")]
    for name in names:
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / name, dest / name)
    if (ROOT / "manuscripts" / "images").is_dir():
        shutil.copytree(ROOT / "manuscripts" / "images", dest / "manuscripts" / "images")
    (dest / "translations").mkdir(exist_ok=True)
    return dest


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return copy_project(tmp_path / "project")


def write_manuscript(root: Path, stem: str, body: str, **front: str) -> Path:
    """A small manuscript; front-matter fields default to a valid English piece."""
    fields = {"slug": stem, "lang": "en", "title": "A title", "author": "A. Writer",
              "date": "2026-11-24", **front}
    head = "".join(f"{k}: {v}\n" for k, v in fields.items() if v is not None)
    path = root / "manuscripts" / f"{stem}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"---\n{head}---\n\n{textwrap.dedent(body).strip()}\n", encoding="utf-8")
    return path


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    """A project with the real styles and UI catalogs, one small manuscript, no article catalogs."""
    root = tmp_path / "tiny"
    shutil.copytree(ROOT / "styles", root / "styles")
    (root / "translations").mkdir()
    shutil.copy(ROOT / "translations" / "messages.pot", root / "translations")
    for ui in ROOT.glob("translations/*/LC_MESSAGES/messages.po"):  # the real UI words
        dest = root / ui.relative_to(ROOT)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ui, dest)
    write_manuscript(root, "tiny", """
        First paragraph with **bold** and a [link](https://example.org/).

        ## A heading

        1. **One:** first item
        2. **Two:** second item
    """)
    return root


def translate_all(root: Path, slug: str, tags=("fa-AF", "ps-AF"), text=lambda msgid: msgid) -> None:
    """Fill every entry of the article's catalogs (the msgid itself by default: complete,
    and nothing `check` calls wrong)."""
    import polib

    from editions.build import Project

    for tag in tags:
        path = Project(root).po(slug, tag)
        po = polib.pofile(str(path))
        for e in po:
            e.msgstr = text(e.msgid)
        po.save(str(path))
