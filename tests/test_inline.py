import json

from editions.inline import links, plain, to_inlines


def kinds(nodes):
    return [n["t"] for n in nodes]


def test_emphasis_and_links_become_pandoc_nodes():
    nodes = to_inlines("**Lead:** text with *stress* and [a link](https://example.org/x)")
    assert kinds(nodes)[0] == "Strong"
    link = next(n for n in nodes if n["t"] == "Link")
    assert link["c"][2][0] == "https://example.org/x"
    assert any(n["t"] == "Emph" for n in nodes)


def test_markup_in_a_translation_is_only_text():
    hostile = ('<script>alert(1)</script> <img src=x onerror=alert(2)> '
               '[x](javascript:alert(3)) <javascript:alert(4)> {onclick=alert(5)} '
               '\n---\ntitle: owned\n---\n[r]: http://evil.example/')
    nodes = to_inlines(hostile)
    assert set(kinds(nodes)) <= {"Str", "Space", "LineBreak"}
    assert "<script>alert(1)</script>" in plain(hostile)


def test_a_translation_keeps_only_its_source_links():
    source = "see [the report](https://example.org/report)"
    allowed = frozenset(links(source))
    same = to_inlines("بنگرید [گزارش](https://example.org/report)", allowed)
    other = to_inlines("بنگرید [گزارش](https://evil.example/)", allowed)
    assert [n["t"] for n in same if n["t"] == "Link"] == ["Link"]
    assert all(n["t"] != "Link" for n in other)
    assert "گزارش" in json.dumps(other, ensure_ascii=False)


def test_zwnj_and_pashto_letters_pass_untouched():
    text = "می‌شود ټ ډ ړ ږ ښ ګ ڼ ې ۍ"
    assert plain(text) == text


def test_markdown_its_url_tables_are_made_before_any_thread_parses():
    """mdurl registers a lookup table before filling it; manuscripts are parsed in threads
    (inputs._parse_all): the tables markdown-it uses are whole as soon as inline is
    imported (in a fresh process: nothing has used them yet)."""
    import subprocess
    import sys

    code = ("import mdurl, mdurl._encode as e, mdurl._decode as d\n"
            "import editions.inline\n"
            "print(len(e.encode_cache.get(mdurl.ENCODE_DEFAULT_CHARS, ())),"
            " len(d.decode_cache.get(mdurl.DECODE_DEFAULT_CHARS + '%', ())))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.split() == ["128", "128"], out.stdout + out.stderr
