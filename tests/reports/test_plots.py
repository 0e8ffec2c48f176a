"""reports.plots: learning curves as clean inline SVG and as PDF."""
import re
import xml.etree.ElementTree as ET

import pytest

from reports.plots import clean_svg, learning_curves

from .conftest import training_record


def test_svg_is_clean_and_self_contained():
    fig = learning_curves(training_record(4), {"set": "test", "accuracy": 0.9542, "epochs": 30},
                          prefix="lc")
    svg = fig.svg
    assert svg.startswith("<svg") and "<?xml" not in svg and "DOCTYPE" not in svg
    assert not re.search(r"https?://|<script|@import|<metadata", svg)
    root = ET.fromstring(svg.replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ', 1))
    ids = {el.get("id") for el in root.iter() if el.get("id")}
    assert ids and all(i.startswith("lc-") for i in ids)
    refs = re.findall(r'(?:href="#|url\(#)([^")]+)', svg)
    assert refs and set(refs) <= ids
    texts = " ".join(root.itertext())
    assert "epoch" in texts and "book" in texts  # axes and the book's line are labelled
    assert fig.pdf.startswith(b"%PDF")


def test_two_figures_do_not_share_ids():
    a = learning_curves(training_record(2), prefix="a").svg
    b = learning_curves(training_record(2), prefix="b").svg
    ids = lambda s: set(re.findall(r'id="([^"]+)"', s))  # noqa: E731
    assert not ids(a) & ids(b)


def test_no_epochs_is_an_error():
    with pytest.raises(ValueError, match="no epochs"):
        learning_curves({"epochs": []})


def test_clean_svg_requires_svg():
    with pytest.raises(ValueError):
        clean_svg("<html></html>", "x")
