"""A static HTML leaderboard page: one file beside the Markdown report, figures linked, no server.

The report's Markdown is the single source: this module renders the small subset the report
writes (headings, pipe tables, bullet lists, paragraphs, links, images, inline code) into one
self-contained page whose tables sort by any column on a click (a few lines of inline script;
numbers sort as numbers, "–" last). Every piece of text is HTML-escaped first.
"""
from __future__ import annotations

import html
import re
from pathlib import Path

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto; max-width: 1400px;
       padding: 0 1rem; color: #1d1d1f; line-height: 1.45; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.25rem; margin-top: 2rem; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: 0.8rem 0; font-size: 0.86rem; }
th, td { border: 1px solid #d0d7de; padding: 0.3rem 0.55rem; text-align: left; white-space: nowrap; }
th { background: #f3f5f7; cursor: pointer; user-select: none; position: sticky; top: 0; }
th[aria-sort="ascending"]::after { content: " ▲"; } th[aria-sort="descending"]::after { content: " ▼"; }
tr:nth-child(even) td { background: #fafbfc; }
td.paper, th.paper { color: #57606a; background: #f6f8fa; }
img { max-width: 100%; border: 1px solid #eee; }
code { background: #f3f5f7; padding: 0 0.2rem; }
.wrap { overflow-x: auto; }
"""

SCRIPT = r"""
function cellValue(td) {
  const text = td.textContent.trim();
  const number = parseFloat(text.replace(/^[<≤]\s*/, ''));
  return isNaN(number) ? null : number;
}
document.querySelectorAll('table.sortable').forEach(function (table) {
  table.querySelectorAll('th').forEach(function (th, column) {
    th.addEventListener('click', function () {
      const ascending = th.getAttribute('aria-sort') !== 'ascending';
      table.querySelectorAll('th').forEach(function (other) { other.removeAttribute('aria-sort'); });
      th.setAttribute('aria-sort', ascending ? 'ascending' : 'descending');
      const body = table.tBodies[0];
      const rows = Array.from(body.rows);
      rows.sort(function (a, b) {
        const x = cellValue(a.cells[column]), y = cellValue(b.cells[column]);
        if (x === null && y === null) {
          return ascending ? a.cells[column].textContent.localeCompare(b.cells[column].textContent)
                           : b.cells[column].textContent.localeCompare(a.cells[column].textContent);
        }
        if (x === null) return 1;
        if (y === null) return -1;
        return ascending ? x - y : y - x;
      });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });
});
// A link may name a sorted view: page.html#sort=TABLE,COLUMN[,desc] (0-based indices).
const wanted = /#sort=(\d+),(\d+)(,desc)?/.exec(window.location.hash);
if (wanted) {
  const table = document.querySelectorAll('table.sortable')[+wanted[1]];
  const th = table && table.querySelectorAll('th')[+wanted[2]];
  if (th) { th.click(); if (wanted[3]) th.click(); }
}
"""


def _inline(text: str, base: str) -> str:
    """Escape, then links, images and code; relative targets are prefixed with ``base``."""
    text = html.escape(text, quote=True)

    def target(url: str) -> str:
        if re.match(r"^[a-z]+:", url) or url.startswith("#"):
            return url
        if url.endswith("/README.md"):  # an encoder's page is a section of this one
            return "#" + url[: -len("/README.md")]
        return base + url

    text = re.sub(r"!\[([^\]]*)\]\(([^)\s]+)\)",
                  lambda m: f'<img alt="{m.group(1)}" src="{target(m.group(2))}">', text)
    text = re.sub(r"\[([^\]]+)\]\(([^)\s]+)\)",
                  lambda m: f'<a href="{target(m.group(2))}">{m.group(1)}</a>', text)
    text = re.sub(r"(?<![\w*])\*([^*\s][^*]*)\*(?![\w*])", r"<em>\1</em>", text)
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", text)


def _table(lines: list[str], base: str) -> str:
    rows = [[cell.strip() for cell in line.strip().strip("|").split("|")] for line in lines]
    header, body = rows[0], rows[2:]
    paper = [h.lower().startswith("paper") for h in header]
    head = "".join(f'<th class="paper">{_inline(h, base)}</th>' if p else f"<th>{_inline(h, base)}</th>"
                   for h, p in zip(header, paper))
    cells = "".join("<tr>" + "".join(
        f'<td class="paper">{_inline(c, base)}</td>' if p else f"<td>{_inline(c, base)}</td>"
        for c, p in zip(row, paper)) + "</tr>\n" for row in body)
    return (f'<div class="wrap"><table class="sortable"><thead><tr>{head}</tr></thead>'
            f"<tbody>\n{cells}</tbody></table></div>")


def markdown_to_html(markdown: str, base: str = "") -> str:
    """The report's Markdown subset as HTML (``base``: folder prefix for relative links and images)."""
    out, lines, i = [], markdown.splitlines(), 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("|"):
            block = []
            while i < len(lines) and lines[i].startswith("|"):
                block.append(lines[i])
                i += 1
            out.append(_table(block, base))
            continue
        if line.startswith("- "):
            items = []
            while i < len(lines) and lines[i].startswith("- "):
                items.append(f"<li>{_inline(lines[i][2:], base)}</li>")
                i += 1
            out.append("<ul>" + "".join(items) + "</ul>")
            continue
        heading = re.match(r"^(#{1,4}) (.*)", line)
        if heading:
            level = len(heading.group(1))
            out.append(f"<h{level}>{_inline(heading.group(2), base)}</h{level}>")
        elif line.strip():
            out.append(f"<p>{_inline(line, base)}</p>")
        i += 1
    return "\n".join(out)


def write_page(out: Path, index_markdown: str, encoder_pages: dict[str, str], title: str) -> Path:
    """``out/leaderboard.html``: the index page (leaderboards), then each encoder's tables and figures."""
    sections = [markdown_to_html(index_markdown)]
    for folder, markdown in encoder_pages.items():
        sections.append(f'<section id="{html.escape(folder)}">' + markdown_to_html(markdown, base=f"{folder}/")
                        + "</section>")
    page = (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>\n"
            + "\n".join(sections) + f"\n<script>{SCRIPT}</script>\n</body></html>\n")
    path = out / "leaderboard.html"
    path.write_text(page, encoding="utf-8")
    return path
