"""HTML editions: pandoc writes the article body, Jinja2 the page around it."""
from __future__ import annotations

import base64
import re
from pathlib import Path

import jinja2
from markupsafe import Markup, escape

from ..locale import LANGUAGES, digits
from ..messages import UI
from ..translate import Edition


def pandoc_html(edition: Edition) -> str:
    """The translated article body as an HTML fragment (one pandoc run)."""
    from .. import pandoc

    return pandoc.run(edition.document, "json", "html5", ["--sandbox", "--wrap=none"])


NOTE_REF = re.compile(r'(<a href="#fn\d+" class="footnote-ref" id="fnref\d+" role="doc-noteref"><sup>)(\d+)(</sup></a>)')
OUR_IMAGE = re.compile(r'<img src="\.\./assets/images/([0-9a-f]{16}-\d+\.(?:jpg|png|webp|svg))"([^>]*)/>')
WEB_ONLY = re.compile(r' (?:srcset|sizes|loading|decoding)="[^"]*"')
MIME = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp", "svg": "image/svg+xml"}


def page_body(body: str, tag: str) -> str:
    """The body for the web page and the PDF: note calls in the edition's digits."""
    return NOTE_REF.sub(lambda m: m.group(1) + digits(m.group(2), tag) + m.group(3), body)


EXTERNAL = re.compile(r'(<a href="((?:https?|mailto):[^"]*)"[^>]*>(.*?)</a>)', re.S)
TAGS = re.compile(r"<[^>]+>")
NOTES = re.compile(r'<section id="footnotes" class="footnotes footnotes-end-of-document" role="doc-endnotes">\s*'
                   r'(?:<hr />\s*)?(.*?)\s*</section>\s*$', re.S)


def printed_links(body: str, tag: str) -> tuple[str, list[dict]]:
    """Links for a reader of paper: each external address whose words do not already show
    it gets a number in the edition's digits, printed after the link text ("[1]"), and the
    numbered list of addresses ("Links") at the end of the article; an address linked twice
    keeps its first number. Screens show neither (see sangar.css and print.css)."""
    from html import unescape

    numbers: dict[str, int] = {}

    def mark(m: re.Match) -> str:
        href = unescape(m.group(2))
        address = href.removeprefix("mailto:")
        words = " ".join(unescape(TAGS.sub("", m.group(3))).split())
        if words.rstrip("/") == address.rstrip("/"):
            return m.group(1)  # the words are the address: already printed
        n = numbers.setdefault(href, len(numbers) + 1)
        return f'{m.group(1)}<span class="link-ref"> [{digits(str(n), tag)}]</span>'

    marked = EXTERNAL.sub(mark, body)
    return marked, [{"number": digits(str(n), tag), "href": href, "shown": href.removeprefix("mailto:"), "id": n}
                    for href, n in numbers.items()]


def split_notes(body: str) -> tuple[str, str]:
    """pandoc's endnotes section apart from the article, so that the page can give it a
    heading of its own (a heading in the page's outline, the PDF's tags and bookmarks)."""
    m = NOTES.search(body)
    return (body, "") if m is None else (body[:m.start()].rstrip() + "\n", m.group(1))


def epub_images(body: str, assets: Path) -> str:
    """The body for the EPUB: each of our images inline as a data: URL (pandoc runs sandboxed and
    packs it into the book), without the web page's srcset and loading hints."""
    def inline_image(m: re.Match) -> str:
        name = m.group(1)
        data = base64.b64encode((assets / "images" / name).read_bytes()).decode()
        return f'<img src="data:{MIME[name.rsplit(".", 1)[1]]};base64,{data}"{WEB_ONLY.sub("", m.group(2))}/>'
    return OUR_IMAGE.sub(inline_image, body)


def css_string(value: str) -> Markup:
    """A CSS string literal for untrusted text: every character outside [A-Za-z0-9 ] escaped."""
    text = value.unescape() if isinstance(value, Markup) else str(value)  # gettext gives HTML-escaped text
    # A space after a hex escape is eaten by the CSS parser: write one, so the text's own stays.
    out = "".join(c if c.isascii() and (c.isalnum() or c == " ") else f"\\{ord(c):06x} " for c in text)
    return Markup(f'"{out}"')


class _Compiled(jinja2.BytecodeCache):
    """Templates compiled once per process, shared by every language's environment (each
    environment otherwise compiles each template again: ~10 ms a template), and kept in the
    project's .cache/jinja for the next process (a run that renders one page compiled its
    templates for ~0.08 s). Jinja checks each one against its template's source and its own
    and Python's versions, and compiles again when any differs."""

    def __init__(self):
        self.code: dict[str, bytes] = {}
        self.folder: Path | None = None

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if bucket.key not in self.code and self.folder is not None:
            try:
                self.code[bucket.key] = (self.folder / f"{bucket.key}.code").read_bytes()
            except OSError:
                pass
        if bucket.key in self.code:
            bucket.bytecode_from_string(self.code[bucket.key])

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.code[bucket.key] = code = bucket.bytecode_to_string()
        if self.folder is not None:
            from ..fsutil import atomic_write

            try:
                atomic_write(self.folder / f"{bucket.key}.code", code, durable=False)
            except OSError:  # a cache: the next process compiles again
                pass


_COMPILED = _Compiled()


def environment(root: Path, ui: UI) -> jinja2.Environment:
    """A Jinja2 environment speaking `ui`'s language. Translations are escaped like any text:
    a msgstr is data, never markup."""
    _COMPILED.folder = root / ".cache" / "jinja"
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(root / "styles" / "templates"),
                             autoescape=True, extensions=["jinja2.ext.i18n"],
                             trim_blocks=False, lstrip_blocks=False, bytecode_cache=_COMPILED)
    env.install_gettext_callables(lambda s: escape(ui.gettext(s)),
                                  lambda s, p, n: escape(ui.ngettext(s, p, n)), newstyle=True)
    env.filters["css_string"] = css_string
    env.globals["dirs"] = {tag: lang.dir for tag, lang in LANGUAGES.items()}
    return env


def page(env: jinja2.Environment, edition: Edition, body_html: str, outlet: dict[str, str],
         others: list[dict], assets: str, base_url: str = "") -> str:
    import json
    from urllib.parse import urljoin

    from ..layout import Layout
    from ..site import OG_LOCALES

    counter = "persian" if edition.dir == "rtl" else "decimal"
    url = Layout.edition(edition.slug, edition.tag)
    self_href = Layout.href(url, url)
    canonical = Layout.absolute(url, base_url) if base_url else ""
    site = canonical.removesuffix(self_href)  # the page's folder, absolute ("" without base_url)

    def published(href: str) -> str:  # a link from this page, absolute when the site has an address
        return urljoin(canonical, href) if canonical else href

    body_html, links = printed_links(body_html, edition.tag)
    body_html, notes_html = split_notes(body_html)
    og_image = published(edition.image) if edition.image else ""
    feed = published(Layout.href(url, Layout.feed(edition.tag)))
    # schema.org NewsArticle, as JSON whose <, > and & are \u escapes: no text of it (a
    # translated title, a name) can close the <script> element or open a comment in it.
    article = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": edition.title,
               "author": {"@type": "Person", "name": edition.author}, "datePublished": edition.date_iso,
               "inLanguage": edition.tag, "publisher": {"@type": "Organization", "name": outlet.get(edition.tag, "")}}
    if edition.summary:
        article["description"] = edition.summary
    if og_image:
        article["image"] = [og_image]
    if canonical:
        article["url"] = article["mainEntityOfPage"] = canonical
    source = next((o for o in others if o["tag"] == edition.source_lang), None)  # (others: not this one)
    if source is not None:
        article["translationOfWork"] = {"@type": "NewsArticle", "inLanguage": source["tag"],
                                        "url": published(source["href"])}
    json_ld = (json.dumps(article, ensure_ascii=False, separators=(",", ":"))
               .replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
               .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))
    return env.get_template("edition.html").render(
        e=_context(edition, body_html), notes_html=Markup(notes_html), links=links,
        outlet=outlet, others=others, assets=assets,
        counter_style=counter, self_href=self_href, base_url=site, canonical=canonical,
        og_locale=OG_LOCALES[edition.tag], og_alternates=[OG_LOCALES[o["tag"]] for o in others],
        og_image=og_image, feed_href=feed, json_ld=Markup(json_ld))


def epub_body(env: jinja2.Environment, edition: Edition, body_html: str, outlet: dict[str, str]) -> str:
    return env.get_template("epub.html").render(e=_context(edition, body_html), outlet=outlet)


def _context(edition: Edition, body_html: str) -> dict:
    ctx = dict(edition.__dict__)
    ctx["body_html"] = Markup(body_html)  # pandoc's output from an AST we built: Str nodes only
    return ctx
