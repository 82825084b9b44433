"""`make-editions rename OLD NEW`: an article under a new slug, with every translation.

The manuscript moves to manuscripts/NEW.md with `slug: NEW`, its template and every
language's catalog move with it (the UI catalogs stay). Its published editions are not
moved: their pages link to themselves by name, so the next build renders them under the
new name and removes the old ones from dist/ (see build.prune)."""
from __future__ import annotations

import os
import re
from pathlib import Path

from .errors import UsageError
from .fsutil import atomic_write
from .manuscript import SLUG

SLUG_LINE = re.compile(r"^(slug[ \t]*:[ \t]*)(.*?)([ \t]*)$", re.M)


def rename(root: Path, old: str, new: str) -> list[str]:
    """Move the article `old` to `new`; returns what was done, a line per file."""
    manuscripts, translations = root / "manuscripts", root / "translations"
    source, target = manuscripts / f"{old}.md", manuscripts / f"{new}.md"
    if not SLUG.fullmatch(new):
        raise UsageError(f"{new!r} is not a slug: use lowercase letters, digits and hyphens")
    if not source.is_file():
        raise UsageError(f"no manuscript named {old} in manuscripts/")
    moves = [(translations / f"{old}.pot", translations / f"{new}.pot")]
    moves += [(po, po.with_name(f"{new}.po")) for po in sorted(translations.glob(f"*/LC_MESSAGES/{old}.po"))]
    taken = [p for p in [target] + [b for _, b in moves] if p.exists()]
    if taken:
        raise UsageError(f"{taken[0].relative_to(root)} already exists: choose another slug or remove it first")
    text = source.read_text(encoding="utf-8")
    head_end = text.find("\n---", 4)
    head = text[:head_end] if text.startswith("---") and head_end > 0 else ""
    if not SLUG_LINE.search(head):
        raise UsageError(f"{source.relative_to(root)} has no 'slug:' line in its front matter")
    head = SLUG_LINE.sub(lambda m: f"{m.group(1)}{new}{m.group(3)}", head, count=1)
    atomic_write(target, (head + text[head_end:]).encode("utf-8"))
    done = [f"renamed manuscripts/{old}.md → manuscripts/{new}.md (slug: {new})"]
    for before, after in moves:
        if before.exists():
            os.replace(before, after)
            done.append(f"renamed {before.relative_to(root)} → {after.relative_to(root)}")
    source.unlink()
    done.append(f"the next build publishes it as {new} and removes {old}'s editions from dist/")
    return done
