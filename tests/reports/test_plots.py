"""reports.plots: learning curves as clean inline SVG and as PDF."""
import re
import xml.etree.ElementTree as ET

import pytest

from gradproof.reports.plots import clean_svg, learning_curves

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


def test_pictures_of_the_data_and_the_network():
    """samples() against an independent count: the confusion matrix sums to the test set, its
    diagonal is the number read right, and the mistakes shown are really misread."""
    import numpy as np

    from gradproof.reports.gather import samples
    from gradproof.reports.plots import pictures, digit_grid, confusion_figure

    class Split:
        def __init__(self, images, labels):
            self.images, self.labels = images, labels

        def __len__(self):
            return len(self.labels)

        def X(self, index=slice(None)):
            return self.images[index].astype(float) / 255

    rng = np.random.default_rng(1)
    imgs = rng.integers(0, 256, size=(50, 784), dtype=np.uint8)
    labels = rng.integers(0, 10, size=50).astype(np.uint8)

    class Net:  # guesses the label, except for every third image
        def feedforward(self, X):
            out = np.zeros((len(X), 10))
            rows = [int(np.flatnonzero((imgs.astype(float) / 255 == x).all(axis=1))[0]) for x in X]
            for r, i in enumerate(rows):
                out[r, (labels[i] + (i % 3 == 0)) % 10] = 1
            return out

    class DS:
        training = Split(imgs, labels)
        test = Split(imgs, labels)

    s = samples(DS(), Net(), digits=8, mistakes=5, chunk=7)
    wrong = [i for i in range(50) if i % 3 == 0]
    assert s["confusion"].sum() == 50 and np.trace(s["confusion"]) == 50 - len(wrong)
    assert s["mistakes"]["wrong"] == len(wrong) and list(s["mistakes"]["indices"]) == wrong[:5]
    assert all(g != a for a, g in zip(s["mistakes"]["labels"], s["mistakes"]["guesses"]))
    assert len(s["digits"]["labels"]) == 8
    pics = pictures({"digits": lambda: digit_grid(s["digits"]["images"], s["digits"]["labels"]),
                     "confusion": lambda: confusion_figure(s["confusion"])})
    assert pics.pages == ("digits", "confusion") and pics.pdf.startswith(b"%PDF")
    assert pics.pdf.count(b"/Type /Page") - pics.pdf.count(b"/Type /Pages") == 2
    assert all(v.startswith("<svg") for v in pics.svg.values())
