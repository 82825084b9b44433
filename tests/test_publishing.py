"""The publishing rule over sequences of what editors and translators do: after every
build, dist/ holds exactly what should be online — no draft, no orphan, no internal file,
no translation check calls wrong — and the index lists exactly what is there."""
from __future__ import annotations

import copy
import re
import shutil

import polib
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import ROOT, write_manuscript
from editions.build import Project, build
from editions.layout import SECTIONS
from editions.executor import Local
from editions.rename import rename

BROKEN = "<b>BROKEN</b>"  # a translator's markup: check calls it an error
ACTIONS = ["edit", "translate", "translate-one", "break", "rename", "delete", "add", "draft-build"]


def fill(root, slug, tag, text=lambda e: e.msgid):
    path = Project(root).po(slug, tag)
    if not path.exists():
        return
    po = polib.pofile(str(path))
    for e in po:
        if not e.obsolete:
            e.msgstr = text(e)
            if "fuzzy" in e.flags:
                e.flags.remove("fuzzy")
    po.save(str(path))


class World:
    """The project on disk, and what the rule says must be online."""

    def __init__(self, root):
        self.root, self.n = root, 0
        self.slugs: list[str] = []
        self.online: set[tuple[str, str]] = set()  # (slug, tag) published at least once, still an article
        self.add()

    def copy(self, root):
        """The same world in another folder (what was there removed): its tree copied
        (dist/ and the build's caches with it), what the rule says copied."""
        if root.exists():
            shutil.rmtree(root)
        shutil.copytree(self.root, root)
        other = copy.deepcopy(self)
        other.root = root
        return other

    def add(self):
        self.n += 1
        slug = f"a{self.n}"
        write_manuscript(self.root, slug, f"Paragraph of article {self.n} with [a link](https://example.org/).\n\n"
                                          "## A heading\n\n- **Lead:** an item")
        self.slugs.append(slug)

    def run(self, draft=False):
        report = build(Project(self.root), formats=["html"], draft=draft, runner=Local(1))
        for slug in self.slugs:
            self.online.add((slug, "en"))
            for tag in ("fa-AF", "ps-AF"):
                path = Project(self.root).po(slug, tag)
                po = polib.pofile(str(path))
                active = [e for e in po if not e.obsolete]
                if all(e.msgstr and not e.fuzzy and BROKEN not in e.msgstr for e in active):
                    self.online.add((slug, tag))
        return report

    def act(self, action, data):
        if not self.slugs and action != "add":
            action = "add"
        slug = data.draw(st.sampled_from(self.slugs)) if self.slugs else None
        if action == "add":
            self.add()
        elif action == "edit":
            path = self.root / "manuscripts" / f"{slug}.md"
            path.write_text(path.read_text(encoding="utf-8").replace("Paragraph", "Edited paragraph", 1),
                            encoding="utf-8")
        elif action == "translate":
            for tag in ("fa-AF", "ps-AF"):
                fill(self.root, slug, tag)
        elif action == "translate-one":
            fill(self.root, slug, data.draw(st.sampled_from(["fa-AF", "ps-AF"])))
        elif action == "break":
            fill(self.root, slug, "fa-AF", lambda e: e.msgid + " " + BROKEN)
        elif action == "rename":
            new = f"{slug}-r"
            for line in rename(self.root, slug, new):
                assert line
            self.slugs[self.slugs.index(slug)] = new
            self.online = {(s, t) for s, t in self.online if s != slug}  # the next build publishes `new`
        elif action == "delete":
            (self.root / "manuscripts" / f"{slug}.md").unlink()
            self.slugs.remove(slug)
            self.online = {(s, t) for s, t in self.online if s != slug}
        return action == "draft-build"

    def judge(self):
        dist = self.root / "dist"
        site = set(SECTIONS.values())  # the site's own pages (layout.py): front pages, archives, feeds
        found = {(p.parent.name, p.name.split(".")[1]) for p in dist.glob("*/*.html") if p.parent.name not in site}
        assert found == {(s, t) for s, t in self.online if s in self.slugs}, (found, self.online)
        extra = [p for p in dist.rglob("*") if p.is_file() and not (
            p.parent.name in self.slugs and re.fullmatch(rf"{p.parent.name}\.(en|fa-AF|ps-AF)\.html", p.name)
            or p.relative_to(dist).parts[0] in ("assets", "pagefind", *site)
            or p.parent == dist and p.name in ("index.html", "robots.txt"))]
        assert not extra, extra  # no cards, temp files, drafts or orphans
        fronts = "".join(p.read_text(encoding="utf-8") for p in dist.glob("*/index.html") if p.parent.name in site)
        listed = set(re.findall(r'href="\.\./([\w-]+)/\1\.([\w-]+)\.html"', fronts))
        assert listed == found  # each front page lists its language's editions, nothing else
        languages = {t for _, t in found}
        assert {p.parent.name for p in dist.glob("*/index.html") if p.parent.name in site} == \
            {SECTIONS[t] for t in languages}  # and a language with nothing online has no front page
        for page in (p for p in dist.glob("*/*.html") if p.parent.name not in site):
            text = page.read_text(encoding="utf-8")
            assert "draft-notice" not in text and "BROKEN" not in text, page


@pytest.fixture(scope="module")
def start(tmp_path_factory) -> World:
    """Where every sequence starts: the project with one article, built and judged. The
    same for every sequence, so built once and copied — back into the folder it was built
    in (`SEQUENCE`, beside it), where each sequence runs: what the build keeps by the
    project's path (the manuscripts it parsed, the templates it compiled) is found there
    as by the start's own next build."""
    folder = tmp_path_factory.mktemp("pub")
    root = folder / SEQUENCE
    shutil.copytree(ROOT / "styles", root / "styles")
    for ui in ROOT.glob("translations/*/LC_MESSAGES/messages.po"):
        (root / ui.relative_to(ROOT)).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ui, root / ui.relative_to(ROOT))
    world = World(root)
    world.run()
    world.judge()
    return world.copy(folder / "start")


SEQUENCE = "p"  # the folder, beside the start's copy, each sequence runs in


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(st.lists(st.sampled_from(ACTIONS), min_size=1, max_size=6), st.data())
def test_dist_is_what_the_rule_says_after_any_sequence(start, actions, data):
    world = start.copy(start.root.parent / SEQUENCE)
    world.judge()
    for action in actions:
        draft = world.act(action, data)
        world.run(draft=draft)
        world.judge()
