"""Make docs/report.png, the README's picture of the top of the report.

    python tools/screenshot.py                      # run `gradproof report` into a temp folder first
    python tools/screenshot.py --from gradproof-report   # use an existing report.html
    python tools/screenshot.py --train none         # a faster report without training

Renders report.html in headless Chromium (reports.browser) at 1200x2000 CSS pixels (the summary,
the contents and the first identities) and saves it
scaled to 900 pixels wide as an optimized PNG (written atomically).
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

from gradproof.reports.browser import screenshot  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--from", dest="source", metavar="DIR", help="folder holding report.html")
    ap.add_argument("--out", default=str(ROOT / "docs" / "report.png"), help="PNG to write")
    ap.add_argument("--train", default=None, help="passed to `gradproof report` (default: its own)")
    ap.add_argument("--width", type=int, default=900, help="width of the saved PNG in pixels")
    ap.add_argument("--height", type=int, default=2000,
                    help="CSS pixels of the page to show (the default reaches the first identities)")
    args = ap.parse_args(argv)

    from PIL import Image

    with tempfile.TemporaryDirectory(prefix="gradproof-shot-") as tmp:
        tmp = Path(tmp)
        if args.source:
            html = Path(args.source) / "report.html"
        else:
            cmd = [sys.executable, "-m", "gradproof", "report", "--out", str(tmp / "rep"), "--no-pdf"]
            if args.train:
                cmd += ["--train", args.train]
            r = subprocess.run(cmd, cwd=ROOT)
            if r.returncode not in (0, 1):
                return r.returncode
            html = tmp / "rep" / "report.html"
        raw = screenshot(html, tmp / "raw.png", width=1200, height=args.height)
        img = Image.open(raw).convert("RGB")
        h = round(img.height * args.width / img.width)
        img = img.resize((args.width, h), Image.LANCZOS).quantize(colors=64)
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        part = out.with_name(f".{out.name}.tmp")
        img.save(part, format="PNG", optimize=True)
        os.replace(part, out)
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
