"""Headless Chromium for the tests and the README screenshot: render a local HTML file to PNG,
or measure its layout through the DevTools protocol.

Chromium runs offline-minded (no background networking, no component updates, no sync, no QUIC)
with a throw-away profile, so opening the report proves it renders with nothing but the file.
:func:`evaluate` speaks the DevTools protocol over a WebSocket (a minimal client on the standard
library: one connection to 127.0.0.1, text frames only) to load the page and evaluate a
measuring expression in it; the page itself has no scripts.
"""
from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import struct
import subprocess
import tempfile
import time
import urllib.parse
from pathlib import Path

__all__ = ["find_chromium", "screenshot", "evaluate", "DevToolsError"]

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
    # Chromium's helper processes may still be writing the profile when the browser has exited:
    # a profile left half-removed in the temp folder is no error of the page being rendered
    with tempfile.TemporaryDirectory(prefix="gradproof-chromium-", ignore_cleanup_errors=True) as profile:
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


# --- the DevTools protocol ---------------------------------------------------------------------------

class DevToolsError(RuntimeError):
    """Chromium's DevTools endpoint did not answer as expected."""


class _WebSocket:
    """The client side of RFC 6455, just enough for DevTools: masked text frames out, text frames
    in (fragmented messages joined), ping answered."""

    def __init__(self, url: str, timeout: float):
        u = urllib.parse.urlparse(url)
        if u.hostname not in ("127.0.0.1", "localhost"):
            raise DevToolsError(f"refusing a DevTools socket that is not local: {url}")
        self.sock = socket.create_connection((u.hostname, u.port), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET {u.path} HTTP/1.1\r\nHost: {u.hostname}:{u.port}\r\n"
                           "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                           f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise DevToolsError("the DevTools socket closed during the handshake")
            head += chunk
        head, self.buf = head.split(b"\r\n\r\n", 1)
        if not head.startswith(b"HTTP/1.1 101"):
            raise DevToolsError(f"WebSocket handshake refused: {head.splitlines()[0]!r}")

    def _read(self, n: int) -> bytes:
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise DevToolsError("the DevTools socket closed")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def send(self, text: str) -> None:
        data = text.encode()
        n = len(data)
        head = bytes([0x81]) + (bytes([0x80 | n]) if n < 126 else
                                bytes([0x80 | 126]) + struct.pack("!H", n) if n < 65536 else
                                bytes([0x80 | 127]) + struct.pack("!Q", n))
        mask = os.urandom(4)
        self.sock.sendall(head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    def recv(self) -> str:
        parts = []
        while True:
            b0, b1 = self._read(2)
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack("!H", self._read(2))[0]
            elif n == 127:
                n = struct.unpack("!Q", self._read(8))[0]
            payload = self._read(n)
            op = b0 & 0x0F
            if op == 0x9:  # ping
                self.sock.sendall(bytes([0x8A, 0x80 | len(payload)]) + b"\0\0\0\0" + payload)
                continue
            if op == 0x8:
                raise DevToolsError("the DevTools socket was closed by the browser")
            parts.append(payload)
            if b0 & 0x80:
                return b"".join(parts).decode()

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass


def _http_json(port: int, path: str, timeout: float):
    """GET ``path`` of the local DevTools HTTP endpoint as JSON (no proxy: it is 127.0.0.1)."""
    import urllib.request

    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(f"http://127.0.0.1:{port}{path}", timeout=timeout) as r:
            return json.loads(r.read())
    except OSError as exc:
        raise DevToolsError(f"DevTools {path}: {exc}") from None


def evaluate(html: str | os.PathLike, expression: str, *, width: int = 1280, height: int = 1000,
             timeout: float = 120):
    """Load the local file ``html`` in headless Chromium at ``width`` x ``height`` CSS pixels and
    return the value of the JavaScript ``expression`` evaluated in it (JSON-serialisable).

    Raises FileNotFoundError without a Chromium, :class:`DevToolsError` when the protocol fails.
    """
    exe = find_chromium()
    if exe is None:
        raise FileNotFoundError("chromium is not on the PATH (Debian: apt-get install chromium)")
    html = Path(html).resolve()
    if not html.is_file():
        raise FileNotFoundError(f"evaluate: no such file {html}")
    # Chromium's helper processes may still be writing the profile when the browser has exited:
    # a profile left half-removed in the temp folder is no error of the page being rendered
    with tempfile.TemporaryDirectory(prefix="gradproof-cdp-", ignore_cleanup_errors=True) as profile:
        cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
               "--no-first-run", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--hide-scrollbars", f"--user-data-dir={profile}",
               "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
               f"--window-size={width},{height}", "about:blank"]
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        ws = None
        try:
            port_file = Path(profile) / "DevToolsActivePort"
            deadline = time.monotonic() + timeout
            while not (port_file.is_file() and port_file.read_text().strip()):
                if proc.poll() is not None:
                    raise DevToolsError(f"chromium exited (status {proc.returncode}) before "
                                        "opening its DevTools port")
                if time.monotonic() > deadline:
                    raise DevToolsError(f"chromium opened no DevTools port in {timeout:.0f} s")
                time.sleep(0.05)
            port = int(port_file.read_text().split()[0])
            pages = [t for t in _http_json(port, "/json/list", timeout) if t.get("type") == "page"]
            if not pages:
                raise DevToolsError("chromium has no page to drive")
            ws = _WebSocket(pages[0]["webSocketDebuggerUrl"], timeout)
            ids = iter(range(1, 1 << 30))

            def call(method: str, **params):
                i = next(ids)
                ws.send(json.dumps({"id": i, "method": method, "params": params}))
                while True:
                    msg = json.loads(ws.recv())
                    if msg.get("id") == i:
                        if "error" in msg:
                            raise DevToolsError(f"{method}: {msg['error'].get('message')}")
                        return msg.get("result", {})
                    if msg.get("method") == "Page.loadEventFired":
                        loaded.append(True)

            loaded: list[bool] = []
            call("Page.enable")
            call("Emulation.setDeviceMetricsOverride", width=width, height=height,
                 deviceScaleFactor=1, mobile=False)
            call("Page.navigate", url=html.as_uri())
            while not loaded:
                msg = json.loads(ws.recv())
                if msg.get("method") == "Page.loadEventFired":
                    loaded.append(True)
            res = call("Runtime.evaluate", expression=expression, returnByValue=True,
                       awaitPromise=True)
            if "exceptionDetails" in res:
                raise DevToolsError(f"the expression failed: {res['exceptionDetails'].get('text')}: "
                                    f"{res.get('result', {}).get('description', '')}")
            return res.get("result", {}).get("value")
        finally:
            if ws is not None:
                ws.close()
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
