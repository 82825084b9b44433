"""The project's folders and files: where manuscripts, catalogs, the cache and the
published trees are. (What is inside a published tree, and its URLs: layout.py.)"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .errors import UsageError
from .layout import Layout
from .locale import LANGUAGES


@dataclass(frozen=True)
class Project:
    root: Path

    @property
    def manuscripts(self) -> Path:
        return self.root / "manuscripts"

    @property
    def translations(self) -> Path:
        return self.root / "translations"

    @property
    def dist(self) -> Path:
        return self.root / "dist"

    @property
    def cache(self) -> Path:
        return self.root / ".cache"

    def pot(self, slug: str) -> Path:
        return self.root / self.pot_rel(slug)

    def po(self, slug: str, tag: str) -> Path:
        return self.root / self.po_rel(slug, tag)

    @property
    def drafts(self) -> Path:
        """Draft editions (incomplete translations): never under dist/, never linked from it."""
        return self.root / "dist-drafts"

    def tree(self, draft: bool = False) -> Path:
        return self.drafts if draft else self.dist

    def layout(self, draft: bool = False) -> Layout:
        return Layout(self.tree(draft))

    def output(self, slug: str, tag: str, fmt: str, draft: bool = False) -> Path:
        return self.layout(draft).path(Layout.edition(slug, tag, fmt))

    @property
    def state(self) -> Path:
        """What the previous build knew (state.py): kept out of dist/."""
        return self.cache / "state.json"

    def rel(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix() if path.is_relative_to(self.root) else str(path)

    # Those paths relative to the root, as strings (the one place they are spelled): what
    # the digests (state.Files) are kept by; made without pathlib, as a no-op asks for
    # thousands of them.
    @staticmethod
    def po_rel(name: str, tag: str) -> str:
        return f"translations/{LANGUAGES[tag].gettext}/LC_MESSAGES/{name}.po"

    @staticmethod
    def pot_rel(slug: str) -> str:
        return f"translations/{slug}.pot"

    @staticmethod
    def manuscript_rel(slug: str) -> str:
        return f"manuscripts/{slug}.md"


class Listing:
    """Which edition files a tree holds, one os.scandir per article folder (no `stat` per
    file, no pathlib): the existence checks of a whole archive's plan and prune. A listing
    is a snapshot: `forget(slug)` after writing into or removing from that folder."""

    def __init__(self, tree: Path):
        self.tree = os.fspath(tree)
        self.folders: dict[str, dict[str, bool]] = {}

    def entries(self, slug: str) -> dict[str, bool]:
        """What the article's folder holds: name → whether it is a file (or a link to one);
        folders in it (never an edition's) are left out."""
        found = self.folders.get(slug)
        if found is None:
            try:
                with os.scandir(os.path.join(self.tree, slug)) as entries:
                    found = {e.name: e.is_file() for e in entries if e.is_symlink() or not e.is_dir()}
            except OSError:
                found = {}
            self.folders[slug] = found
        return found

    def forget(self, slug: str) -> None:
        self.folders.pop(slug, None)


def slugs_of(project: Project, wanted: list[str] | None) -> list[str]:
    try:
        with os.scandir(project.manuscripts) as entries:
            found = sorted(e.name[:-3] for e in entries if e.name.endswith(".md") and not e.name.startswith("."))
    except OSError:
        found = []
    if wanted:
        unknown = [s for s in wanted if s not in found]
        if unknown:
            raise UsageError(f"no manuscript named {', '.join(unknown)} in {project.rel(project.manuscripts)}/")
        return [s for s in found if s in wanted]
    return found
