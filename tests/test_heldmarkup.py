"""resolver.scan.held: decoding markup a page keeps as data, with offsets that lead back to the source."""

from __future__ import annotations

import base64

from resolver.scan.held import base64_markup, unescape_html, unescape_js


def test_js_escapes_decode_and_map_back_to_the_source() -> None:
    source = r'{"html":"\u003ca href=\"https:\/\/t.co\/Ab1\"\u003e\u00e9\ud83d\ude00\u003c\/a\u003e"}'
    decoded = unescape_js(source)
    assert decoded.text == '{"html":"<a href="https://t.co/Ab1">é😀</a>"}'
    start = decoded.text.index("https")
    end = decoded.text.index('">')
    assert source[decoded.source_offset(start) : decoded.source_offset(end)] == r"https:\/\/t.co\/Ab1"
    emoji = decoded.text.index("😀")
    assert source[decoded.source_offset(emoji) : decoded.source_offset(emoji + 1)] == r"\ud83d\ude00"
    assert decoded.source_offset(len(decoded.text)) == len(source)


def test_markup_escaped_twice_is_decoded_twice() -> None:
    inner = '<a href="https://t.co/x">x</a>'
    once = inner.replace('"', '\\"').replace("/", "\\/")
    twice = once.replace("\\", "\\\\").replace('"', '\\"')
    source = f'var s = "{twice}";'
    decoded = unescape_js(source)
    assert decoded.text == f'var s = "{inner}";'
    start = decoded.text.index("https")
    end = start + len("https://t.co/x")
    assert source[decoded.source_offset(start) : decoded.source_offset(end)] == r"https:\\/\\/t.co\\/x"


def test_text_without_escapes_maps_to_itself() -> None:
    decoded = unescape_js("plain <b>text</b>")
    assert decoded.text == "plain <b>text</b>" and decoded.source_offset(6) == 6


def test_character_references_as_in_a_textarea() -> None:
    source = "a &lt;b href=&quot;x&amp;y&quot;&gt; &#8212;z"
    decoded = unescape_html(source)
    assert decoded.text == 'a <b href="x&y"> —z'
    at = decoded.text.index("x&y")
    assert source[decoded.source_offset(at) : decoded.source_offset(at + 3)] == "x&amp;y"


def test_base64_markup_only_when_it_is_markup() -> None:
    markup = '<div class="fb-post" data-href="https://www.facebook.com/a/posts/1"></div>'
    assert base64_markup(base64.b64encode(markup.encode()).decode()) == markup
    assert base64_markup(base64.b64encode(b"just some words, no tags at all").decode()) is None
    assert base64_markup("PGRpdiBub3QgYmFzZTY0ISEh!!") is None
    assert base64_markup("short") is None
