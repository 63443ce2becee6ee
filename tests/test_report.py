"""The HTML report: built from real engine runs and from a hand-made contract trace."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from lxml import html as lhtml
from typer.testing import CliRunner

from ercot_sim.cli import app
from ercot_sim.market.engine import run_scenario
from ercot_sim.report import build_report, load_report_data, write_report
from ercot_sim.scenario import Scenario, load_scenario, load_scenario_text
from ercot_sim.timing.check import check_path

ROOT = Path(__file__).resolve().parent.parent
#: Planted on top of scenarios/faults.toml so the run has a MISSING answer as well as its late
#: 814_04: ONCOR never answers the 814_03 of the switch at esi_index 2.
PLANTED_MISSING = '\n[[faults]]\nkind = "missing"\nparticipant = "ONCOR"\nesi_index = 2\ncode = "814_04"\n'


def _faults_scenario() -> Scenario:
    """scenarios/faults.toml with the planted missing 814_04."""
    path = ROOT / "scenarios" / "faults.toml"
    return load_scenario_text(path.read_text("utf-8") + PLANTED_MISSING, name=str(path))


@pytest.fixture(scope="module")
def switch_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("switch")
    run_scenario(load_scenario(ROOT / "scenarios" / "switch-standard.toml"), out)
    return out


@pytest.fixture(scope="module")
def faults_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("faults")
    run_scenario(_faults_scenario(), out)
    return out


def _seen(violations: list) -> set[tuple[str, str, str]]:  # type: ignore[type-arg]
    return {(v.rule_id, v.esi_id, v.kind) for v in violations}


def _doc(data: bytes) -> lhtml.HtmlElement:
    return lhtml.fromstring(data)


def test_report_is_deterministic_and_self_contained(switch_run: Path) -> None:
    first = build_report(switch_run)
    assert first == build_report(switch_run)
    assert first.startswith(b"<!DOCTYPE html>")
    doc = _doc(first)
    assert not doc.xpath("//script"), "no script in the report"
    assert not doc.xpath("//link|//img"), "no external assets"
    for el in doc.xpath("//*[@href or @src]"):
        assert (el.get("href") or "").startswith("#"), el.get("href")


def test_switch_diagram_lanes_arrows_and_deadline_bars(switch_run: Path) -> None:
    doc = _doc(build_report(switch_run))
    diagrams = doc.xpath("//svg[contains(@class, 'seq')]")
    assert len(diagrams) == 2  # two ESI IDs, both drawn
    first = diagrams[0]
    texts = [t.text_content() for t in first.xpath(".//text")]
    for name in ("NEWCOMER", "INCUMBENT", "ERCOT", "ONCOR"):
        assert name in texts
    # lanes: CRs left of ERCOT, TDSP right of it
    heads = [t for t in first.xpath(".//text[@font-weight='bold']") if t.text in ("NEWCOMER", "ERCOT", "ONCOR")]
    xs = {t.text: float(t.get("x")) for t in heads}
    assert xs["NEWCOMER"] < xs["ERCOT"] < xs["ONCOR"]
    arrows = [t for t in texts if t[:3] in ("814", "867", "810")]
    assert arrows[:3] == ["814_01", "814_03", "814_04"]
    bars = first.xpath(".//g[contains(@class, 'deadline')]")
    rules = {g.xpath("./title")[0].text.split(":")[0] for g in bars}
    assert {"B5-ercot-814_03", "B6-tdsp-814_04"} <= rules
    assert all("met" in g.get("class") for g in bars if "B6-tdsp-814_04" in g.xpath("./title")[0].text)
    assert not doc.xpath("//g[contains(@class, 'violation')]")


def test_compliance_table_matches_the_checker(switch_run: Path) -> None:
    result = check_path(switch_run)
    doc = _doc(build_report(switch_run))
    table = doc.xpath("//h2[@id='compliance']/following-sibling::table[1]")[0]
    rows = {tr[0].text: [td.text for td in tr] for tr in table.xpath("./tr")[1:]}
    assert set(rows) == {r.rule_id for r in result.rules}
    b6 = result.rule("B6-tdsp-814_04")
    assert rows["B6-tdsp-814_04"][3] == str(b6.on_time)


def test_volume_chart_counts_every_code(switch_run: Path) -> None:
    doc = _doc(build_report(switch_run))
    chart = doc.xpath("//svg[contains(@class, 'chart')]")[0]
    legend = {t.text.split()[0]: t.text for t in chart.xpath(".//text") if t.text and t.text[:3].isdigit()
              and "(" in t.text}
    db = sqlite3.connect(switch_run / "trace.sqlite")
    counts = dict(db.execute("SELECT code, COUNT(*) FROM transactions GROUP BY code"))
    db.close()
    assert set(legend) == set(counts)
    assert legend["867_03"] == f"867_03 ({counts['867_03']})"


def test_violations_are_marked_red(faults_run: Path) -> None:
    """Every violation the independent checker finds is drawn red: late ones on the arrow,
    missing ones as a red cross with the trigger's arrow red too; failing rules get red rows."""
    result = check_path(faults_run)
    late = [v for v in result.violations if v.kind == "late"]
    missing = [v for v in result.violations if v.kind == "missing"]
    assert late and missing, "the scenario plants a late 814_04 and a missing one"
    assert ("B6-tdsp-814_04", "missing") in {(v.rule_id, v.kind) for v in missing}
    doc = _doc(build_report(faults_run))
    red_svg = doc.xpath("//svg[contains(@class, 'seq')][.//g[contains(@class, 'violation')]]")
    red_esi = {svg.xpath("./title")[0].text.rsplit(" ", 1)[1] for svg in red_svg}
    assert red_esi == {v.esi_id for v in result.violations}
    marked = [t.text for t in doc.xpath("//g[contains(@class, 'txn violation')]/title")]
    for v in result.violations:  # the trigger (and a late answer) carry the rule id
        assert any(v.rule_id in t and v.trigger.code in t for t in marked), v.message
    crosses = [t.text for t in doc.xpath("//g[contains(@class, 'missing violation')]/title")]
    assert sorted(crosses) == sorted(v.message for v in missing)
    assert len(doc.xpath("//g[contains(@class, 'deadline violated')]")) >= len(result.violations)
    fail_rows = {tr[0].text for tr in doc.xpath("//tr[@class='fail']")}
    assert fail_rows == {r.rule_id for r in result.rules if r.passed is False}
    assert "B6-tdsp-814_04" in fail_rows


def test_large_runs_get_a_bounded_selection_violations_first(faults_run: Path) -> None:
    data = load_report_data(faults_run, max_diagrams=2)
    assert len(data.diagrams) == 2
    assert data.diagrams[0].violations, "an ESI ID with violations comes first"
    assert "2 of 5 ESI IDs" in data.selection_note
    page = build_report(faults_run, max_diagrams=2)
    assert b"2 of 5 ESI IDs" in page
    assert page.count(b"class=\"seq\"") == 2


def test_violations_passed_in_are_used(faults_run: Path) -> None:
    result = check_path(faults_run)
    only = [v for v in result.violations if v.kind == "late"]
    assert only and len(only) < len(result.violations), "the run has late and missing answers"
    doc = _doc(build_report(faults_run, violations=only))
    assert not doc.xpath("//g[contains(@class, 'missing')]")
    marked = [t.text for t in doc.xpath("//g[contains(@class, 'txn violation')]/title")]
    assert marked and all(any(v.rule_id in t for v in only) for t in marked)


def test_contract_trace_without_x12_files(tmp_path: Path) -> None:
    """A trace with only the CONTRACTS.md columns (no X12 files) still gives a report."""
    db = sqlite3.connect(tmp_path / "trace.sqlite")
    db.execute("CREATE TABLE transactions (seq INTEGER, sent_at TEXT, sender TEXT, receiver TEXT, code TEXT, "
               "esi_id TEXT, ref TEXT, orig_ref TEXT, file TEXT, st_control TEXT)")
    esi = "10443720000000077"
    rows = [
        (1, "2025-03-04T09:00:00-06:00", "223456789", "183529049", "814_01", esi, "C1", "", "a.x12", "0001"),
        (2, "2025-03-04T11:00:00-06:00", "183529049", "1039940674000", "814_03", esi, "E1", "C1", "b.x12", "0001"),
        (3, "2025-03-12T11:00:00-05:00", "1039940674000", "183529049", "814_04", esi, "T1", "E1", "c.x12", "0001"),
    ]
    db.executemany("INSERT INTO transactions VALUES (?,?,?,?,?,?,?,?,?,?)", rows)
    db.commit()
    db.close()
    page = build_report(tmp_path)
    doc = _doc(page)
    svg = doc.xpath("//svg[contains(@class, 'seq')]")[0]
    assert [t.text for t in svg.xpath(".//g[contains(@class, 'txn')]/text")][:3] == [
        "814_01", "814_03 ! B6-tdsp-814_04", "814_04 ! B6-tdsp-814_04"]  # trigger and late answer
    assert svg.xpath(".//g[contains(@class, 'deadline violated')]")
    out = write_report(tmp_path, tmp_path / "sub" / "r.html")
    assert out.read_bytes() == page


def test_cli_report_exit_codes(switch_run: Path, faults_run: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    ok = runner.invoke(app, ["report", str(switch_run), "--html", str(tmp_path / "a.html")])
    assert ok.exit_code == 0, ok.output
    assert (tmp_path / "a.html").read_bytes() == build_report(switch_run)
    found = check_path(faults_run).violations
    assert found
    bad = runner.invoke(app, ["report", str(faults_run), "--html", str(tmp_path / "b.html")])
    assert bad.exit_code == 1, bad.output
    assert f" {len(found)} timing violation(s)" in bad.output
    assert (tmp_path / "b.html").read_bytes() == build_report(faults_run)
    missing = runner.invoke(app, ["report", str(tmp_path / "nope"), "--html", str(tmp_path / "c.html")])
    assert missing.exit_code == 2
    assert "no such file or folder" in missing.output
    assert not (tmp_path / "c.html").exists()


def test_sharded_run_is_reported_whole(tmp_path: Path, faults_run: Path) -> None:
    from ercot_sim.output.shard import in_shard

    scenario = _faults_scenario()
    for i in range(2):
        run_scenario(scenario, tmp_path / f"shard-{i:03d}", shard=(i, 2))
    data = load_report_data(tmp_path, max_diagrams=3)
    assert len(data.diagrams) == 3  # bounded, and the free slots are filled
    assert data.esi_total == 5
    whole = check_path(faults_run).violations
    assert whole and _seen(data.check.violations) == _seen(whole)
    shard_of = {v.esi_id: next(i for i in range(2) if in_shard(v.esi_id, (i, 2))) for v in whole}
    for i in range(2):  # each shard alone holds only its own part of the violations
        alone = load_report_data(tmp_path / f"shard-{i:03d}").check.violations
        assert _seen(alone) == {k for k in _seen(whole) if shard_of[k[1]] == i}
    assert data.diagrams[0].violations
    doc = _doc(build_report(tmp_path, max_diagrams=3))
    assert len(doc.xpath("//svg[contains(@class, 'seq')]")) == 3


def test_chart_ticks_are_round_and_the_legend_fits_any_number_of_codes() -> None:
    from ercot_sim.report.charts import nice_step, volume_chart

    assert [nice_step(x) for x in (0.4, 3, 12, 250, 1234.5, 30_000)] == [1, 5, 20, 500, 2000, 50_000]
    codes = [f"814_{n:02d}" for n in range(1, 30)] + ["a-very-long-out-of-band-step-name"]
    volumes = {("2025-03-03", c): 1000 + 37 * i for i, c in enumerate(codes)}
    svg = volume_chart(volumes)
    width, height = float(svg.get("width")), float(svg.get("height"))
    ticks = [t.text for t in svg.iter("text") if t.get("text-anchor") == "end"]
    assert ticks[0] == "0" and len(ticks) >= 3
    assert all(int(t.replace(",", "")) % 500 == 0 for t in ticks)  # 2,073 at most: steps of 500
    legend = [t for t in svg.iter("text") if (t.text or "").startswith(("814_", "a-very"))]
    assert len(legend) == len(codes)
    for t in legend:  # every label inside the picture: 7 px a character is generous for 11 px text
        assert float(t.get("x")) + 7 * len(t.text or "") <= width and float(t.get("y")) <= height
    fills = {r.get("fill") for r in svg.iter("rect") if r.get("width") == "10"}
    assert len(fills) == len(codes)  # one colour a code, palette or not


def test_report_draws_the_esi_ids_or_flows_asked_for(faults_run: Path, tmp_path: Path) -> None:
    data = load_report_data(faults_run, esi_ids=["10443720000000003", "10443720000000001"])
    assert [f.esi_id for f in data.diagrams] == ["10443720000000003", "10443720000000001"]
    switches = load_report_data(faults_run, flow_kinds=["switch"])
    assert switches.diagrams and all("switch" in f.kinds for f in switches.diagrams)
    runner = CliRunner()
    bad = runner.invoke(app, ["report", str(faults_run), "--esi-id", "999"])
    assert bad.exit_code == 2 and "ESI ID 999 has no transactions in this run" in bad.output
    none = runner.invoke(app, ["report", str(faults_run), "--flow", "csa"])
    assert none.exit_code == 2 and "no ESI ID with an order of kind csa; this run has switch" in none.output
    ok = runner.invoke(app, ["report", str(faults_run), "--esi-id", "10443720000000001", "--html",
                             str(tmp_path / "r.html")])
    assert ok.exit_code == 1 and "diagrams for 1 ESI ID(s)" in ok.output
    page = (tmp_path / "r.html").read_text()
    assert "814_03 Enrollment notification to TDSP: ERCOT -&gt; ONCOR" in page  # the name on hover
