"""The PDF's logical structure, finished: what WeasyPrint 70 tags, made fit for PDF/UA-1.

WeasyPrint builds the structure tree page by page from the layout boxes. Three things it
leaves are fixed here, while the PDF is still pydyf objects (no second parse):

- A paragraph, list or table that runs over a page break became one structure element per
  page (two paragraphs, two lists to a screen reader); the pieces are joined again.
- Running heads and page numbers were marked content outside the tree; they become
  pagination artifacts, as PDF/UA asks.
- Link annotations described themselves by their target (`fn1`, a bare address); they get
  the words of their link. Elements in another language than the page (the other
  outlets' names, a draft's source text) get their own /Lang.

`install()` wraps WeasyPrint's private `_build_box_tree` to learn which HTML element each
structure element comes from (the only private name used; checked against the pinned
version), and `finish` is passed to `write_pdf` as its documented `finisher`.
"""
from __future__ import annotations

WEASYPRINT = "70.0"  # the version whose tagging code this module is written against


def install(weasyprint) -> bool:
    """Wrap WeasyPrint's tag builder once per process; False when the version differs (the
    PDF is then tagged by WeasyPrint alone)."""
    from weasyprint.pdf import tags

    if weasyprint.__version__ != WEASYPRINT:
        return False
    if getattr(tags._build_box_tree, "sangar", False):
        return True
    from weasyprint.formatting_structure.boxes import MarginBox

    original = tags._build_box_tree

    def build(box, parent, pdf, page_number, nums, annotations, marks):
        state = pdf.__dict__.setdefault("sangar", {"source": {}, "artifacts": {}})
        if isinstance(box, MarginBox):
            before = set(nums)
            yield from original(box, parent, pdf, page_number, nums, annotations, marks)
            kind = "/Header" if box.at_keyword.startswith("@top") else "/Footer"
            for mcid in set(nums) - before:
                state["artifacts"].setdefault(page_number, {})[mcid] = kind
            return
        if box.link_annotation is not None and box.element is not None and box.element_tag != "a":
            _unlink(box, pdf, page_number)  # a box inside a link repeats the link's annotation
        for element in original(box, parent, pdf, page_number, nums, annotations, marks):
            source = box.element
            if source is not None:
                state["source"][id(element)] = (source, box.element_tag, element)
                _describe(box, element, pdf, state, parent)
            yield element

    build.sangar = True
    tags._build_box_tree = build
    return True


def _unlink(box, pdf, page_number) -> None:
    page = pdf.objects[int(pdf.page_references[page_number].split()[0])]
    annotation, box.link_annotation = box.link_annotation, None
    if annotation.reference in page.get("Annots", ()):
        page["Annots"].remove(annotation.reference)
        annotation.clear()  # left as an empty dictionary: pydyf 0.13 miscounts freed objects


def _describe(box, element, pdf, state, parent) -> None:
    import pydyf

    lang = box.element.get("lang")
    inherited = state["source"].get(id(parent), (None,))[0]
    if lang and lang != _text(pdf.catalog.get("Lang")) and inherited is not box.element:
        element["Lang"] = pydyf.String(lang)
    if element.get("S") == "/TH" and "A" in element:  # header cells say what they head
        element["A"]["Scope"] = "/Row" if box.element.get("scope") == "row" else "/Column"
    annotation = box.link_annotation
    if annotation is not None and box.element_tag == "a":
        words = " ".join("".join(box.element.itertext()).split())
        target = box.element.get("href", "")
        address = target.removeprefix("mailto:")
        if words and target.startswith(("http:", "https:", "mailto:")) and words != address:
            words = f"{words} ({address})"
        if words:
            annotation["Contents"] = pydyf.String(words)


def _text(value) -> str:
    return "" if value is None else str(getattr(value, "string", value))


def finish(document, pdf) -> None:
    """WeasyPrint's `finisher`: join split elements, turn running heads into artifacts and
    drop what no longer belongs to the tree."""
    import pydyf

    state = pdf.__dict__.get("sangar")
    root_ref = pdf.catalog.get("StructTreeRoot")
    if state is None or root_ref is None:
        return
    objects = pdf.objects

    def get(reference):
        return objects[int(reference.split()[0])] if isinstance(reference, bytes) else reference

    root = get(root_ref)
    parent_tree = get(root["ParentTree"])
    moved: dict[bytes, bytes] = {}
    source = state["source"]

    def same(a, b) -> bool:
        sa, sb = source.get(id(a)), source.get(id(b))
        return (sa is not None and sb is not None and sa[0] is sb[0] and sa[1] == sb[1]
                and a["S"] == b["S"])

    def join(element) -> None:
        kids = element["K"]
        i = 0
        while i < len(kids):
            kid = get(kids[i]) if isinstance(kids[i], bytes) else None
            if isinstance(kid, pydyf.Dictionary) and same(element, kid):
                # an anonymous box of the element itself (a caption's inner block): one element
                moved[kid.reference] = element.reference
                kids[i:i + 1] = _adopt(element, kid, get)
                continue
            if isinstance(kid, pydyf.Dictionary) and kid.get("Type") == "/StructElem":
                while i + 1 < len(kids) and isinstance(kids[i + 1], bytes):
                    nxt = get(kids[i + 1])
                    if not (isinstance(nxt, pydyf.Dictionary) and same(kid, nxt)):
                        break
                    kid["K"].extend(_adopt(kid, nxt, get))
                    moved[nxt.reference] = kid.reference
                    del kids[i + 1]
                join(kid)
            i += 1
        if element.get("S") == "/LI":
            _list_body(element, pdf, get)

    for document_element in root["K"]:
        join(get(document_element))

    # Running heads and page numbers: pagination artifacts, out of the tree.
    nums = parent_tree["Nums"]
    for page_number, marks in state["artifacts"].items():
        stream = pdf_page_stream(document, pdf, page_number, get)
        for index, item in enumerate(stream.stream):
            if isinstance(item, pydyf.Dictionary) and item.get("MCID") in marks:
                stream.stream[index - 1] = "/Artifact"
                stream.stream[index] = pydyf.Dictionary({"Type": "/Pagination",
                                                         "Subtype": marks[item["MCID"]]})
        page_kids = nums[2 * page_number + 1]
        for mcid in marks:
            page_kids[mcid] = b"null"

    def redirect(reference):
        while reference in moved:
            reference = moved[reference]
        return reference

    for i in range(1, len(nums), 2):
        if isinstance(nums[i], pydyf.Array):
            nums[i][:] = [redirect(r) if isinstance(r, bytes) else r for r in nums[i]]
        else:
            nums[i] = redirect(nums[i])

    # Whatever the tree no longer reaches (joined pieces, running-head elements) is dropped.
    reached: set[int] = set()
    todo = [root_ref]
    while todo:
        reference = todo.pop()
        if not isinstance(reference, bytes) or int(reference.split()[0]) in reached:
            continue
        reached.add(int(reference.split()[0]))
        kids = get(reference).get("K")
        if isinstance(kids, (list, pydyf.Array)):
            todo.extend(kids)
        elif isinstance(kids, bytes):
            todo.append(kids)
    for number, obj in enumerate(objects):
        if (number not in reached and isinstance(obj, pydyf.Dictionary)
                and obj.get("Type") == "/StructElem"):
            obj.clear()  # an empty dictionary, referenced by nothing (see _unlink)


def _adopt(first, second, get) -> list:
    """The kids of `second` (another piece of the same element) made kids of `first`."""
    import pydyf

    kids = []
    for kid in second["K"]:
        if isinstance(kid, int) and second.get("Pg") != first.get("Pg"):
            kid = pydyf.Dictionary({"Type": "/MCR", "Pg": second["Pg"], "MCID": kid})
        elif isinstance(kid, bytes):
            child = get(kid)
            if isinstance(child, pydyf.Dictionary) and child.get("Type") == "/StructElem":
                child["P"] = first.reference
        kids.append(kid)
    return kids


def _list_body(item, pdf, get) -> None:
    """A list item holds a label and a body (PDF/UA): a note's paragraph goes into an LBody."""
    import pydyf

    def role(kid):
        return get(kid).get("S") if isinstance(kid, bytes) else None

    loose = [kid for kid in item["K"] if role(kid) not in ("/Lbl", "/LBody")]
    if not loose:
        return
    body = pydyf.Dictionary({"Type": "/StructElem", "S": "/LBody", "K": pydyf.Array(loose),
                             "P": item.reference})
    if "Pg" in item:
        body["Pg"] = item["Pg"]
    pdf.add_object(body)
    for kid in loose:
        if isinstance(kid, bytes):
            get(kid)["P"] = body.reference
    first = next(i for i, kid in enumerate(item["K"]) if kid in loose)
    item["K"][:] = [kid for kid in item["K"] if kid not in loose]
    item["K"].insert(first, body.reference)


def pdf_page_stream(document, pdf, page_number, get):
    """The content stream of page `page_number` (pydyf object, still writable)."""
    return get(get(pdf.page_references[page_number])["Contents"])
