"""The self-contained HTML report: every figure embedded, no network access needed."""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from infoplane.reproduce._verdict import Verdict

MIME = {".png": "image/png", ".gif": "image/gif", ".svg": "image/svg+xml"}

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif;
       max-width: 1180px; margin: 2em auto; padding: 0 1em; color: #222; line-height: 1.45; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { margin-top: 2em; border-bottom: 1px solid #ddd; }
.sub { color: #555; margin-top: 0; }
table { border-collapse: collapse; margin: 0.6em 0 1.2em; font-size: 0.8em; }
.wide { overflow-x: auto; }
th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f3f3f3; } td.num { text-align: right; white-space: nowrap; }
figure { margin: 1em 0; } figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { font-size: 0.9em; color: #444; }
.verdict { padding: 0.6em 0.9em; border-radius: 6px; margin: 0.8em 0; }
.supported { background: #e6f4ea; border-left: 6px solid #2e7d32; }
.not-supported { background: #fdecea; border-left: 6px solid #c62828; }
.not-tested { background: #f1f1f1; border-left: 6px solid #888; }
.not-decided { background: #fff6e0; border-left: 6px solid #e0a000; }
.rule { font-size: 0.88em; color: #444; }
.badge { font-weight: 600; }
code { background: #f5f5f5; padding: 0 3px; }
"""

CHECK_SCRIPT = """
window.addEventListener("load", function () {
  var images = Array.prototype.slice.call(document.images);
  var broken = images.filter(function (im) { return !(im.complete && im.naturalWidth > 0); });
  var marker = document.getElementById("image-check");
  marker.setAttribute("data-status", broken.length ? "broken" : "ok");
  marker.textContent = broken.length
    ? broken.length + " of " + images.length + " images failed to load"
    : "all " + images.length + " images loaded";
});
"""
"""Writes into #image-check whether every image decoded (naturalWidth > 0), for the
reader and for the headless-browser test."""


@dataclass
class Section:
    """One claim or critique: its verdict, text, figures and tables."""

    key: str
    title: str
    verdict: Verdict | None = None
    text: str = ""
    figures: list[tuple[Path, str]] = field(default_factory=list)
    tables: list[tuple[str, pd.DataFrame]] = field(default_factory=list)


def data_uri(path: Path) -> str:
    """The file at ``path`` as a base64 ``data:`` URI."""
    mime = MIME.get(path.suffix.lower(), "application/octet-stream")
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def _verdict_html(v: Verdict) -> str:
    css = v.label.replace(" ", "-")
    return (
        f'<div class="verdict {css}"><span class="badge">This run: {html.escape(v.label)}.'
        f"</span> {html.escape(v.finding)}"
        f'<div class="rule"><b>Rule.</b> {html.escape(v.rule)}</div></div>'
    )


NUMERIC = re.compile(
    r"^(-?[0-9.]+%?( \[.*\])?|n/a|not reached( \[.*\])?|True|False|"
    r"[0-9]+/[0-9]+)$"
)
"""Cells shown right-aligned: numbers, percentages, "median [q25, q75]", n/a."""


def _table_html(caption: str, df: pd.DataFrame) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in df.columns)
    rows = []
    for values in df.itertuples(index=False):
        cells = []
        for v in values:
            text = "n/a" if v is None or (isinstance(v, float) and v != v) else str(v)
            css = ' class="num"' if NUMERIC.match(text) else ""
            cells.append(f"<td{css}>{html.escape(text)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return (
        f'<p><b>{html.escape(caption)}</b></p><div class="wide"><table><thead><tr>{head}'
        f"</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
    )


def _figure_html(path: Path, caption: str) -> str:
    return (
        f'<figure><img src="{data_uri(path)}" alt="{html.escape(caption)}">'
        f"<figcaption>{html.escape(caption)} (<code>{html.escape(path.name)}</code>)"
        "</figcaption></figure>"
    )


def render(
    *,
    title: str,
    subtitle: str,
    verdicts: Sequence[Verdict],
    sections: Sequence[Section],
    settings: pd.DataFrame,
    runs: pd.DataFrame,
    notes: Sequence[str],
) -> str:
    """The report page as one HTML string."""
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>",
        f"<h1>{html.escape(title)}</h1><p class='sub'>{html.escape(subtitle)}</p>",
        "<h2>Summary</h2>",
    ]
    rows = "".join(
        f'<tr><td><a href="#{html.escape(v.key)}">{html.escape(v.title)}</a></td>'
        f'<td class="{v.label.replace(" ", "-")}">{html.escape(v.label)}</td></tr>'
        for v in verdicts
    )
    parts.append(f"<table><tr><th>claim</th><th>this run</th></tr>{rows}</table>")
    if notes:
        parts.append("<ul>" + "".join(f"<li>{html.escape(n)}</li>" for n in notes) + "</ul>")
    for s in sections:
        parts.append(f'<h2 id="{html.escape(s.key)}">{html.escape(s.title)}</h2>')
        if s.text:
            parts.append(f"<p>{html.escape(s.text)}</p>")
        if s.verdict is not None:
            parts.append(_verdict_html(s.verdict))
        parts += [_figure_html(p, c) for p, c in s.figures]
        parts += [_table_html(c, t) for c, t in s.tables]
    parts.append('<h2 id="settings">Settings and runs</h2>')
    parts.append(_table_html("Scale of this reproduction", settings))
    parts.append(_table_html("Runs (each a run directory under runs/)", runs))
    parts.append('<p id="image-check" data-status="pending">checking images…</p>')
    parts.append(f"<script>{CHECK_SCRIPT}</script></body></html>")
    return "\n".join(parts)
