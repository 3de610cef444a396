"""The "value of S&OP" report: one self-contained page whose numbers are the comparison's.

The page is opened in a real browser — Debian's Chromium, driven by Playwright — with every
request it makes recorded: none may leave the machine. Its PDF has the pages it should, and
its first page says what the summary says.
"""

from __future__ import annotations

import http.server
import re
import threading
from functools import partial

import pytest
from browser import launch
from click.testing import CliRunner

from agents.config import load_config
from experiments.cli import main
from experiments.compare import compare
from experiments.report import executive_summary, from_config, render

DAYS, REPS, SEED = 200, 3, 9


@pytest.fixture(scope="module")
def made(configs_dir, tmp_path_factory):
    """The report of the reference company, written by the command a user runs."""
    out = tmp_path_factory.mktemp("report") / "report.html"
    args = [
        "report",
        str(configs_dir / "baseline.yaml"),
        "--out",
        str(out),
        "--reps",
        str(REPS),
        "--seed",
        str(SEED),
        "--days",
        str(DAYS),
        "--no-attribution",
        "--pdf",
    ]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def comparison(configs_dir):
    config = load_config(configs_dir / "baseline.yaml", {"horizon_days": DAYS})
    return config, compare(config, ["silo", "sop"], REPS, SEED).summary()


def test_the_report_runs_the_same_comparison_as_compare(configs_dir, comparison):
    config, summary = comparison
    data = from_config(config, "baseline.yaml", "oneplan report", ["silo", "sop"], REPS, SEED)
    assert data.summary["kpis"]["operating_profit"] == summary["kpis"]["operating_profit"]
    assert data.summary["kpis"]["fill_rate"] == summary["kpis"]["fill_rate"]
    page = render(data)
    for sentence in executive_summary(summary, DAYS):
        assert sentence.replace("&", "&amp;") in page


def test_the_summary_says_the_difference_per_year_with_its_interval(comparison):
    _, summary = comparison
    [profit, *_] = executive_summary(summary, DAYS)
    diff = summary["kpis"]["operating_profit"]["diff"]["sop"]
    per_year = diff["mean"] / (DAYS / 365)
    shown = re.search(r"(adds|costs) \$([\d,.]+)(k|M)", profit)
    scale = {"k": 1e3, "M": 1e6}[shown.group(3)]
    assert float(shown.group(2).replace(",", "")) * scale == pytest.approx(abs(per_year), rel=0.01)
    assert f"over {REPS} paired replications" in profit


def test_the_page_holds_everything_it_shows(made):
    page = made.read_text(encoding="utf-8")
    assert page.count("<svg") >= 6  # every figure inline
    assert not re.search(r"""(src|href)=["']https?:""", page)  # nothing to fetch
    assert "<link" not in page and "<script" not in page
    for section in ("executive-summary", "kpi-table", "decision-table", "assumptions", "command"):
        assert f'id="{section}"' in page
    assert "oneplan report" in page and f"--seed {SEED}" in page


@pytest.fixture(scope="module")
def served(made):
    """The report's folder on a local HTTP server (127.0.0.1 only)."""
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(made.parent))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/{made.name}"
    server.shutdown()


def test_the_page_opens_in_a_real_browser_and_asks_nothing_of_the_outside(
    served, comparison, tmp_path
):
    from playwright.sync_api import sync_playwright

    _, summary = comparison
    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        requests: list[str] = []
        page.on("request", lambda r: requests.append(r.url))
        page.goto(served)
        page.wait_for_load_state("networkidle")
        text = page.inner_text("#executive-summary")
        figures = page.locator("figure svg").count()
        page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
        browser.close()
    assert requests and all(u.startswith("http://127.0.0.1:") for u in requests), requests
    assert figures >= 6
    for sentence in executive_summary(summary, DAYS):
        assert sentence in text
    assert (tmp_path / "report.png").stat().st_size > 50_000


def test_the_pdf_has_its_pages_and_its_first_page_is_the_summary(made, comparison):
    from pypdf import PdfReader

    _, summary = comparison
    pdf = PdfReader(made.with_suffix(".pdf"))
    # The summary, the table, six figures a page or so each, the decisions and assumptions.
    assert 4 <= len(pdf.pages) <= 20
    first = " ".join(pdf.pages[0].extract_text().split())
    assert "Executive summary" in first
    profit = executive_summary(summary, DAYS)[0]
    assert " ".join(profit.split()[:6]) in first


def test_a_saved_comparison_and_a_study_make_reports_too(configs_dir, tmp_path):
    runner = CliRunner()
    saved = tmp_path / "comparison.json"
    shown = runner.invoke(
        main,
        [
            "compare",
            str(configs_dir / "baseline.yaml"),
            "--reps",
            "2",
            "--days",
            "60",
            "--format",
            "json",
        ],
    )
    assert shown.exit_code == 0, shown.output
    saved.write_text(shown.output, encoding="utf-8")
    out = tmp_path / "from_json.html"
    result = runner.invoke(main, ["report", str(saved), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert 'id="executive-summary"' in out.read_text(encoding="utf-8")
    bad = tmp_path / "bad.json"
    bad.write_text('{"not": "a comparison"}', encoding="utf-8")
    refused = runner.invoke(main, ["report", str(bad), "--out", str(tmp_path / "x.html")])
    assert refused.exit_code == 2 and "not a saved comparison" in refused.output


def test_a_studys_directory_makes_a_report_with_its_tables(configs_dir, tmp_path):
    from experiments.engines import InProcess
    from experiments.study import load_study, run_study

    study = tmp_path / "sweep.yaml"
    study.write_text(
        f"base: {configs_dir / 'baseline.yaml'}\nprotocols: [silo, sop]\n"
        "factors:\n  agents.operations.pay.shortage: [0, 40]\nreplications: 2\ndays: 60\n"
        "keep: {kpis: [operating_profit, fill_rate, avg_inventory_value]}\n",
        encoding="utf-8",
    )
    run_study(load_study(study), tmp_path / "out", InProcess())
    out = tmp_path / "study.html"
    result = CliRunner().invoke(main, ["report", str(tmp_path / "out"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    assert "Each protocol minus the first, paired by seed" in page
    assert "Service against inventory" in page  # one factor swept: its frontier
