"""Offline web pages for ``POST /ai/embeddings/url``: the emulator never goes to the network.

Pages come from ``<fixtures>/web/<host>/<path>`` (a path ending in ``/`` reads ``index.html``; a
path without a suffix also tries ``<path>.html`` and ``<path>/index.html``). The crawl follows
links on the same host, breadth first, up to five levels below the start page. A start page
without a fixture is generated from its URL (``fakes/pages.py``: the same URL, the same page,
about the words in the URL), so any URL can be embedded offline; fixtures still win.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlsplit

from emulator.fakes.pages import page
from emulator.families.embeddings.documents import html_text

MAX_DEPTH = 5
MAX_PAGES = 200


def _candidates(root: Path, host: str, path: str) -> list[Path]:
    path = path or "/"
    base = root / "web" / host
    rel = path.lstrip("/")
    if path.endswith("/"):
        return [base / rel / "index.html"]
    return [base / rel, base / f"{rel}.html", base / rel / "index.html"]


def _read(roots: list[Path], url: str) -> bytes | None:
    parts = urlsplit(url)
    for root in roots:
        web = (root / "web").resolve()
        for candidate in _candidates(root, parts.hostname or "", parts.path):
            try:
                resolved = candidate.resolve()
                if resolved.is_relative_to(web) and resolved.is_file():
                    return resolved.read_bytes()
            except (OSError, ValueError):  # a NUL byte or an over-long name: no such fixture page
                continue
    return None


def _filename(url: str) -> str:
    parts = urlsplit(url)
    path = parts.path or "/"
    if path.endswith("/"):
        path += "index.html"
    elif "." not in path.rsplit("/", 1)[-1]:
        path += ".html"
    return f"{parts.hostname}{path}"


def is_absolute(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def crawl(roots: list[Path], url: str) -> dict[str, bytes]:
    """filename -> page bytes for the absolute ``url`` and the same-host pages it links to (a
    linked page without a fixture is left out: only the start page is ever generated)."""

    start = urlsplit(url)
    first = _read(roots, url)
    if first is None:
        first = page(urldefrag(url)[0]).html()
    pages: dict[str, bytes] = {}
    queue: list[tuple[str, int, bytes]] = [(urldefrag(url)[0], 0, first)]
    seen = {urldefrag(url)[0]}
    while queue and len(pages) < MAX_PAGES:
        current, depth, data = queue.pop(0)
        pages[_filename(current)] = data
        if depth >= MAX_DEPTH:
            continue
        for link in html_text(data)[1]:
            target = urldefrag(urljoin(current, link))[0]
            if urlsplit(target).hostname != start.hostname or target in seen:
                continue
            seen.add(target)
            body = _read(roots, target)
            if body is not None:
                queue.append((target, depth + 1, body))
    return pages
