"""Exports worth sending: rounded figures with units, the view, sources; read back.

Hand-computed from tests/fixtures/announcements.csv, as of 2026-03-01 (FX of
tests/helpers: CNY 7.6 per USD in 2025):
  Alibaba 2025: RMB 380bn over 2025-02..2028-01 (36 months) = USD 50bn, 11 months in
                2025 -> 50 / 36 * 11 = 15.2777... -> 15.28; 2026: 50 / 3 = 16.67
  Microsoft 2024: FY2024 actual 55.7 (Jul 2023-Jun 2024), 6 months = 27.85, plus FY2025
                actual 88.2 (Jul 2024-Jun 2025), 6 months = 44.10 -> 71.95
  Oracle 2025: 21.2 / 12 * 5 + 50 / 12 * 7 = 8.8333 + 29.1667 = 38.00
"""

from __future__ import annotations

import csv
import io
from datetime import date

import pandas as pd
from openpyxl import load_workbook

from tracker import exports, queries
from tracker.cli import main
from tracker.query import ViewQuery, run

QUERY = ViewQuery(as_of=date(2026, 3, 1), companies=("Alibaba", "Microsoft", "Oracle"))
LINK = "http://capex.example/comparison?as_of=2026-03-01&companies=Alibaba,Microsoft,Oracle"


def _view(engine):
    announcements = queries.announcements_frame(engine)
    result = run(announcements, QUERY)
    info = exports.ExportInfo(QUERY, queries.data_as_of(engine), LINK)
    return announcements, result, info


def test_annual_table_is_rounded_with_units_and_one_id_column(seeded_engine):
    _announcements, result, _info = _view(seeded_engine)
    table = exports.annual_table(result.headline).set_index(["company", "year"])
    assert table.loc[("Alibaba", 2025), "mid_usd_bn"] == 15.28
    assert table.loc[("Alibaba", 2026), "mid_usd_bn"] == 16.67
    assert table.loc[("Microsoft", 2024), "mid_usd_bn"] == 71.95
    assert table.loc[("Microsoft", 2024), "announcement_ids"] == "1,3"
    assert table.loc[("Oracle", 2025), "mid_usd_bn"] == 38.0
    columns = set(table.reset_index().columns)
    assert {"low_usd_bn", "mid_usd_bn", "high_usd_bn", "months_covered"} <= columns
    assert [c for c in columns if "announcement" in c] == ["announcement_ids"]


def test_csv_has_the_view_in_its_name_and_header(seeded_engine):
    _announcements, result, info = _view(seeded_engine)
    name = exports.file_name("comparison", info, "csv")
    assert name == (
        "capex-comparison_asof-2026-03-01_data-2026-02-05_companies-Alibaba+Microsoft+Oracle.csv"
    )
    text = exports.to_csv(exports.comparison_export(result.headline), info, "comparison")
    header = [line for line in text.splitlines() if line.startswith("# ")]
    assert header[0] == "# capex-tracker export: comparison"
    assert "# as of: 2026-03-01" in header
    assert "# filters: companies=Alibaba,Microsoft,Oracle; measure=mid" in header
    assert "# data as of: 2026-02-05" in header
    assert "# FX: ECB reference rates, monthly averages" in header
    assert f"# source: {LINK}" in header
    table = pd.read_csv(io.StringIO(text), comment="#").set_index("company")
    assert table.loc["Alibaba", "2025_mid_usd_bn"] == 15.28
    assert table.loc["Microsoft", "2024_mid_usd_bn"] == 71.95
    assert "2026_yoy_pct" in table.columns


def test_excel_workbook_has_figures_sources_and_about(seeded_engine):
    announcements, result, info = _view(seeded_engine)
    data = exports.to_xlsx(
        {
            "Comparison": exports.comparison_export(result.headline),
            "Annual": exports.annual_table(result.headline),
        },
        exports.sources(result.headline, announcements),
        info,
    )
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["Comparison", "Annual", "Sources", "About"]
    annual = pd.DataFrame(book["Annual"].values)
    annual = annual.rename(columns=annual.iloc[0]).iloc[1:].set_index(["company", "year"])
    assert annual.loc[("Alibaba", 2025), "mid_usd_bn"] == 15.28
    assert annual.loc[("Oracle", 2025), "mid_usd_bn"] == 38.0
    assert book["Annual"]["E2"].number_format == "0.00"
    sources = pd.DataFrame(book["Sources"].values)
    sources = sources.rename(columns=sources.iloc[0]).iloc[1:].set_index("announcement_id")
    # Every announcement behind the figures: 1, 3 (Microsoft), 23, 26 (Oracle), 27.
    assert sorted(sources.index) == [1, 3, 23, 26, 27]
    assert sources.loc[27, "qualifier"] == "at_least"
    assert sources.loc[27, "source_type"] == "company_release"
    assert sources.loc[27, "source_url"].startswith("https://english.jschina.com.cn/")
    assert sources.loc[3, "used_for_years"] == "2024, 2025"
    about = dict(book["About"].iter_rows(min_row=2, values_only=True))
    assert about["as of"] == "2026-03-01" and about["data as of"] == "2026-02-05"
    assert about["filters"] == "companies=Alibaba,Microsoft,Oracle; measure=mid"
    assert about["FX"] == "ECB reference rates, monthly averages"
    assert about["source"] == LINK


def test_citation_and_link(seeded_engine):
    _announcements, _result, info = _view(seeded_engine)
    assert exports.citation(info) == (
        "capex-tracker (2026). AI-infrastructure capex, USD bn per calendar year, as of "
        f"2026-03-01; data as of 2026-02-05. {LINK}"
    )
    link = exports.view_link("http://capex.example/", "company", {"company": "Meta"}, QUERY)
    assert link == (
        "http://capex.example/company?company=Meta&as_of=2026-03-01"
        "&companies=Alibaba,Microsoft,Oracle"
    )


def test_cli_annual_export_csv_and_excel(configured_env, tmp_path, monkeypatch):
    monkeypatch.setenv("CAPEX_PUBLIC_URL", "http://capex.example")
    path = tmp_path / "annual.csv"
    args = ["--as-of", "2026-03-01", "--company", "Alibaba", "--company", "Oracle"]
    assert main(["export", str(path), "--annual", *args]) == 0
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# capex-tracker export: annual figures\n")
    assert "# source: http://capex.example/comparison?as_of=2026-03-01" in text
    table = pd.read_csv(path, comment="#").set_index(["company", "year"])
    assert table.loc[("Alibaba", 2025), "mid_usd_bn"] == 15.28
    assert "announcement_id" not in table.columns
    xlsx = tmp_path / "annual.xlsx"
    assert main(["export", str(xlsx), "--annual", *args]) == 0
    book = load_workbook(xlsx)
    assert book.sheetnames == ["Annual", "Sources", "About"]
    # The plain export stays in the import format (no comment lines): it re-imports.
    plain = tmp_path / "all.csv"
    assert main(["export", str(plain)]) == 0
    assert plain.read_text(encoding="utf-8").startswith("id,version,company,")


def test_header_lines_stay_one_cell_so_no_filter_value_becomes_a_formula():
    query = ViewQuery(as_of=date(2026, 3, 1), companies=("Meta", '=HYPERLINK("http://x";"y")'))
    info = exports.ExportInfo(query, date(2026, 2, 5), "http://h/")
    text = exports.to_csv(pd.DataFrame({"a": [1]}), info, "t")
    cells = [
        c for row in csv.reader(io.StringIO(text)) if row and row[0].startswith("#") for c in row
    ]
    # Split at commas as a spreadsheet would: no cell starts like a formula.
    assert any("HYPERLINK" in c for c in cells)
    assert not any(c.startswith(("=", "+", "-", "@")) for c in cells)
