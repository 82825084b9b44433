"""The build's second step, decided from digests alone: which editions to make, which are
up to date, which are held back and why. Nothing is translated, merged or rendered here.

An edition's key covers everything it is made from: the article (manuscript and image
bytes), the language's catalog and interface words (their files' digests), the other
languages it links to, the site's address, whether it is a draft, and the context
(styles, templates, fonts, tools, the project's code). An edition whose every requested
format was built from the same key, and whose files are there, is up to date."""
from __future__ import annotations

from dataclasses import dataclass, field

from .errors import EditionsError
from .inputs import UI, Inputs
from .layout import Layout
from .locale import AUTONYMS, LANGUAGES, OUTLET
from .state import edition_id, flat_key, key


@dataclass(frozen=True)
class Planned:
    slug: str
    tag: str
    draft: bool
    key: str
    formats: tuple
    others: tuple  # ((tag, autonym), …): the other languages online after this run


@dataclass
class Plan:
    jobs: list[Planned] = field(default_factory=list)
    unchanged: int = 0
    skipped: int = 0
    lines: list[str] = field(default_factory=list)       # what is held back, and why
    errors: list = field(default_factory=list)           # findings to report (EditionsError or str)
    online: dict = field(default_factory=dict)           # slug → languages online after this run
    ui: dict = field(default_factory=dict)               # tag → whether its interface words are all there


def plan(inputs: Inputs, langs, formats: tuple, draft: bool) -> Plan:
    project, state = inputs.project, inputs.state
    out = Plan()
    langs = list(langs or LANGUAGES)
    usable, ui_gaps = _interface(inputs, langs, draft, out)
    common = key(inputs.context, sorted(OUTLET.items()), inputs.base_url)  # what every edition's key has

    for slug in inputs.slugs:
        if slug not in inputs.articles:
            continue  # unreadable: reported by read
        lang = state.articles[slug]["lang"]
        complete: list[str] = []
        drafts: set[str] = set()
        for tag in usable:
            if tag == lang:
                complete.append(tag)
                continue
            summary = inputs.catalog(slug, tag)
            if summary is None:
                continue  # unreadable: reported by read; its previous editions stay in dist/
            if tag in langs:
                _findings(out, summary["problems"])
            if summary["gaps"] and not draft:
                if tag in langs:
                    out.skipped += 1
                    out.lines.append(f"skipped {slug} {tag}: {_why(project, slug, tag, summary)} "
                                     f"(build with --draft to see it)"
                                     + (" (its previous edition stays online)" if inputs.listed(slug, tag) else ""))
                continue
            complete.append(tag)
            if summary["gaps"] or tag in ui_gaps:
                drafts.add(tag)
        # Other languages' pages link to every edition that will be online after this run:
        # the ones built now and earlier complete ones that stay (even if --lang left them out).
        # Drafts are never online: they link to nothing and nothing links to them.
        online = [t for t in LANGUAGES if (t in complete and t not in drafts) or inputs.listed(slug, t)]
        out.online[slug] = online
        for tag in complete:
            if tag not in langs:
                continue
            is_draft = tag in drafts
            others = () if is_draft else tuple((o, AUTONYMS[o]) for o in online if o != tag)
            edition_key = flat_key(common, inputs.articles[slug], tag,
                                   None if tag == lang else inputs.po(slug, tag),
                                   inputs.po(UI, tag) if tag != "en" else None, others, is_draft)
            built = state.editions.get(edition_id(slug, tag, is_draft), {}).get("built", {})
            files = inputs.listing(is_draft).entries(slug)
            if all(built.get(f) == edition_key and files.get(Layout.file_name(slug, tag, f), False) for f in formats):
                out.unchanged += 1
                continue
            out.jobs.append(Planned(slug, tag, is_draft, edition_key, tuple(formats), others))
    return out


def _interface(inputs: Inputs, langs: list[str], draft: bool, out: Plan) -> tuple[list[str], set[str]]:
    """The languages whose interface words are complete (all of them in a draft run, where
    those with gaps make drafts)."""
    usable, gaps = ["en"], set()
    out.ui["en"] = True
    for tag in LANGUAGES:
        if tag == "en":
            continue
        summary = inputs.catalog(UI, tag)
        out.ui[tag] = bool(summary) and not summary["gaps"]
        if summary:
            out.errors += [EditionsError(*p) for p in summary["problems"]]
        if summary is None or (summary["gaps"] and not draft):
            if tag in langs:
                missing = summary["gaps"] if summary else "all"
                total = summary["segments"] if summary else "the"
                out.lines.append(f"skipped {tag}: {missing} of {total} interface words in "
                                 f"{inputs.project.rel(inputs.project.po(UI, tag))} untranslated, fuzzy or "
                                 f"unreadable (build with --draft to see it)")
            continue
        usable.append(tag)
        if summary["gaps"]:
            gaps.add(tag)
    return [t for t in LANGUAGES if t in usable], gaps


def _why(project, slug: str, tag: str, summary: dict) -> str:
    wrong = summary["wrong"]
    why = (f"{wrong} translation(s) with errors (make-editions check "
           f"{project.rel(project.po(slug, tag))})" if wrong else "")
    rest = summary["gaps"] - wrong
    return why + (", " if why and rest > 0 else "") + (
        f"{rest} of {summary['segments']} segments untranslated or fuzzy" if rest > 0 else "")


def _findings(out: Plan, problems: list, shown: int = 3) -> None:
    """A catalog's errors: the first few as `path:line: error: …`, then how many more."""
    out.errors += [EditionsError(*p) for p in problems[:shown]]
    if len(problems) > shown:
        out.errors.append(f"{problems[0][0]}: error: … and {len(problems) - shown} more "
                          f"(make-editions check {problems[0][0]})")
