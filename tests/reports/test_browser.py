"""The report opened in headless Chromium: it renders offline to a PNG that is not blank."""
import numpy as np
import pytest

from gradproof.reports.browser import screenshot
from gradproof.reports.write import write_report

from ..limits import HANG_GUARD
from .conftest import need


@pytest.mark.slow
def test_report_renders_in_chromium(tmp_path, good_report):
    from matplotlib.image import imread  # matplotlib only where a test reads a PNG

    need("chromium")
    write_report(good_report, tmp_path / "rep", pdf=False)
    png = screenshot(tmp_path / "rep" / "report.html", tmp_path / "shot.png", width=1000, height=1400,
                     timeout=HANG_GUARD)
    img = imread(str(png))
    assert img.shape[0] >= 1000 and img.shape[1] >= 900
    gray = img[..., :3].mean(axis=2)
    assert gray.std() > 0.05  # text, boxes and mathematics, not a blank page
    # dark text spread over many rows (the page really rendered, top to bottom)
    rows_with_ink = np.mean((gray < 0.5).any(axis=1))
    assert rows_with_ink > 0.2


def test_missing_file_is_an_error(tmp_path):
    need("chromium")
    with pytest.raises(FileNotFoundError):
        screenshot(tmp_path / "nope.html", tmp_path / "x.png")


# --- layout, measured in the browser through the DevTools protocol ----------------------------------

#: Every block equation, table, listing and figure whose laid-out width exceeds the content width
#: of the card (identity article, <details>, summary card, figure, section) that holds it; every
#: <details> opened first, so folded tables and code are measured too.
WIDER_THAN_ITS_CARD = """
(() => {
  document.querySelectorAll('details').forEach(d => { d.open = true; });
  const out = [];
  for (const el of document.querySelectorAll('math[display="block"], table, pre, svg')) {
    const card = el.parentElement.closest('article, details, .card, figure, section');
    if (!card) continue;
    const cs = getComputedStyle(card);
    const inner = card.getBoundingClientRect().width - parseFloat(cs.paddingLeft)
        - parseFloat(cs.paddingRight) - parseFloat(cs.borderLeftWidth) - parseFloat(cs.borderRightWidth);
    const w = Math.max(el.getBoundingClientRect().width, el.tagName === 'PRE' ? el.scrollWidth : 0);
    if (w > inner + 0.5) {
      const where = el.closest('[id]');
      out.push({tag: el.tagName.toLowerCase(), where: where ? where.id : '?',
                width: Math.round(w), card: Math.round(inner)});
    }
  }
  return out;
})()
"""


def test_the_measure_finds_what_is_too_wide(tmp_path):
    """The oracle can fail: a table wider than its card is found, a narrow one is not."""
    need("chromium")
    from gradproof.reports.browser import evaluate

    page = tmp_path / "t.html"
    page.write_text('<!DOCTYPE html><html><body style="width:600px">'
                    '<article id="wide" style="width:300px"><table style="width:500px"><tr><td>x</td>'
                    '</tr></table></article><article id="narrow" style="width:300px"><table>'
                    '<tr><td>x</td></tr></table></article></body></html>', encoding="utf-8")
    found = evaluate(page, WIDER_THAN_ITS_CARD, width=1280, timeout=HANG_GUARD)
    assert [f["where"] for f in found] == ["wide"] and found[0]["width"] == 500


@pytest.mark.slow
def test_nothing_is_wider_than_its_card_at_1280px(tmp_path, full_report):
    need("chromium")
    from gradproof.reports.browser import evaluate

    write_report(full_report, tmp_path / "rep", pdf=False)
    found = evaluate(tmp_path / "rep" / "report.html", WIDER_THAN_ITS_CARD, width=1280, height=1000,
                     timeout=HANG_GUARD)
    assert found == [], found
