"""The static HTML leaderboard: rendered from the Markdown report, checked in a real headless browser."""
from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from test_report_leaderboard import _write_run

from elmo_eval.runner.html_page import markdown_to_html
from elmo_eval.runner.report import build_report

BROWSER = next((shutil.which(name) for name in ("chromium", "chromium-browser", "google-chrome")
                if shutil.which(name)), None)
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def test_markdown_subset_is_escaped_and_linked():
    page = markdown_to_html("## T <x>\n\n| a | paper b |\n|---|---|\n| 1 <script> | [l](f.csv) |\n\n"
                            "- see ![fig](figure2.png) and `code`\n- [enc](enc/README.md)", base="enc/")
    assert "<script>" not in page and "1 &lt;script&gt;" in page and "T &lt;x&gt;" in page
    assert '<a href="enc/f.csv">l</a>' in page and '<img alt="fig" src="enc/figure2.png">' in page
    assert '<a href="#enc">enc</a>' in page and "<code>code</code>" in page
    assert '<th class="paper">paper b</th>' in page


@pytest.fixture
def report(tmp_path):
    root = tmp_path / "results"
    for seed in range(2):
        _write_run(root, "baseline-vvvv", "alpha", "baseline", seed, [1] * 20 + [0] * 20)
        _write_run(root, "low", "alpha", "elmo", seed, [1] * 22 + [0] * 18)
        _write_run(root, "high", "alpha", "elmo", seed, [1] * 35 + [0] * 5)
    build_report(root, samples=50)
    return root


def test_page_has_every_section_and_no_machine_path(report, tmp_path):
    page = (report / "leaderboard.html").read_text()
    assert page.count('<table class="sortable">') >= 3  # the leaderboard and each encoder's Table 1
    assert 'id="high"' in page and 'id="low"' in page and "arXiv:1802.05365" in page
    assert str(tmp_path) not in page


@pytest.mark.skipif(BROWSER is None, reason="no Chromium here (Debian package `chromium`): the page is not "
                    "rendered in a browser in this run")
def test_page_renders_and_sorts_in_headless_chromium(report, tmp_path):
    url = (report / "leaderboard.html").as_uri()
    # sorted by the Rank column, descending: the last-ranked system comes first
    dom = subprocess.run([BROWSER, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom",
                          url + "#sort=0,0,desc"], capture_output=True, text=True, timeout=120, check=True).stdout
    first_table = dom.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    systems = re.findall(r"<tr><td>(\d+)</td><td>([^<]+)</td>", first_table)
    assert [name for _, name in systems][0].startswith("word-only baseline")
    assert [int(rank) for rank, _ in systems] == [3, 2, 1]
    shot = tmp_path / "page.png"
    subprocess.run([BROWSER, *FLAGS, f"--user-data-dir={tmp_path / 'profile2'}", f"--screenshot={shot}",
                    "--window-size=1400,1000", url], capture_output=True, timeout=120, check=True)
    assert shot.stat().st_size > 10_000  # a rendered page, not an empty canvas
