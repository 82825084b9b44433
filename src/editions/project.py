"""The project's folders and files: where manuscripts, catalogs, the cache and the
published trees are. (What is inside a published tree, and its URLs: layout.py.)"""
from __future__ import annotations

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
        return self.translations / f"{slug}.pot"

    def po(self, slug: str, tag: str) -> Path:
        return self.translations / LANGUAGES[tag].gettext / "LC_MESSAGES" / f"{slug}.po"

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


def slugs_of(project: Project, wanted: list[str] | None) -> list[str]:
    found = sorted(p.stem for p in project.manuscripts.glob("*.md"))
    if wanted:
        unknown = [s for s in wanted if s not in found]
        if unknown:
            raise UsageError(f"no manuscript named {', '.join(unknown)} in {project.rel(project.manuscripts)}/")
        return [s for s in found if s in wanted]
    return found
