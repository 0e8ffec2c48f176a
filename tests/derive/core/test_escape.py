"""derive.core.escape: the one function through which text reaches a terminal or a page (issue 20,
defect 6: a step's reason holding ESC ]0;title BEL reached the terminal and the HTML page raw)."""
from __future__ import annotations

import json
import unicodedata

from hypothesis import example, given, strategies as st

from gradproof.derive.core.escape import printable, printable_json

TITLE = "\x1b]0;owned\x07"


def test_a_terminal_escape_is_shown_not_sent():
    assert printable(f"expand {TITLE} it") == "expand \\x1b]0;owned\\x07 it"
    assert printable("a\nb\rc\u202ed") == "a\\nb\\rc\\u202ed"  # one line, no reversal
    assert printable("σ′(z) · x² − ½‖y − a‖²") == "σ′(z) · x² − ½‖y − a‖²"
    assert printable(b"name\xff") == "name\\xff"  # a byte that is not UTF-8


def test_a_page_keeps_its_layout_and_mathml_but_not_controls():
    page = f"<p>line one\n\tthin\u2009space, nbsp\u00a0, f\u2061(x) {TITLE} \u202eevil</p>"
    out = printable(page, page=True)
    assert "\n\tthin\u2009space, nbsp\u00a0, f\u2061(x)" in out
    assert "\\x1b]0;owned\\x07" in out and "\\u202e" in out and "\x1b" not in out


@given(st.text())
@example(TITLE)
@example("\x85\x9b\u2028\ud800")
def test_nothing_unsafe_survives_and_json_reads_back(text):
    """The oracle: Unicode's own categories. No control, surrogate, unassigned or private
    character, no line break, is left; JSON stays JSON and reads back to the same value."""
    for out, page in ((printable(text), False), (printable(text, page=True), True)):
        for ch in out:
            assert unicodedata.category(ch) not in ("Cc", "Cs", "Co", "Cn") or (page and ch in "\n\t")
        assert "\u202e" not in out
    shown = printable_json({"reason": text}, indent=1)
    assert json.loads(shown) == {"reason": text}
    assert all(ch.isprintable() or ch == "\n" for ch in shown)
