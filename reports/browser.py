"""Render a local HTML file to PNG with headless Chromium (for the tests and the README screenshot).

Chromium runs offline-minded (no background networking, no component updates, no sync, no QUIC)
with a throw-away profile, so opening the report proves it renders with nothing but the file.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

__all__ = ["find_chromium", "screenshot"]

_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_chromium() -> str | None:
    """Path of a Chromium (or Chrome) executable on the PATH, or None."""
    for name in _NAMES:
        exe = shutil.which(name)
        if exe:
            return exe
    return None


def screenshot(html: str | os.PathLike, png: str | os.PathLike, *, width: int = 1200,
               height: int = 1600, timeout: float = 120) -> Path:
    """Render the local file ``html`` at ``width`` x ``height`` CSS pixels into ``png``.

    Raises FileNotFoundError when there is no Chromium, RuntimeError when it fails.
    """
    exe = find_chromium()
    if exe is None:
        raise FileNotFoundError("chromium is not on the PATH (Debian: apt-get install chromium)")
    html, png = Path(html).resolve(), Path(png).resolve()
    if not html.is_file():
        raise FileNotFoundError(f"screenshot: no such file {html}")
    with tempfile.TemporaryDirectory(prefix="gradproof-chromium-") as profile:
        cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
               "--no-first-run", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--hide-scrollbars", f"--user-data-dir={profile}",
               f"--screenshot={png}", f"--window-size={width},{height}", html.as_uri()]
        try:
            r = subprocess.run(cmd, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise RuntimeError(f"chromium did not finish in {timeout:.0f} s") from None
    if r.returncode != 0 or not png.is_file() or png.stat().st_size == 0:
        tail = r.stderr.decode("utf-8", "replace").strip().splitlines()[-3:]
        raise RuntimeError(f"chromium failed (exit {r.returncode}): {' / '.join(tail)}")
    return png
