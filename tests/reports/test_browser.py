"""The report opened in headless Chromium: it renders offline to a PNG that is not blank."""
import numpy as np
import pytest
from matplotlib.image import imread

from reports.browser import screenshot
from reports.write import write_report

from .conftest import need


@pytest.mark.slow
def test_report_renders_in_chromium(tmp_path, good_report):
    need("chromium")
    write_report(good_report, tmp_path / "rep", pdf=False)
    png = screenshot(tmp_path / "rep" / "report.html", tmp_path / "shot.png", width=1000, height=1400)
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
