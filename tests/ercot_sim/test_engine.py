"""Engine properties: determinism, shards, rules that change behaviour, errors, and
hypothesis-generated markets (terminal states, one REP of record, registry = X12 files)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from edi.texas_set.catalog import identify
from edi.texas_set.mapping import from_segments
from edi.validate import validate
from edi.x12 import iter_transactions
from ercot_sim.cli import app
from ercot_sim.errors import ScenarioError
from ercot_sim.market.engine import run_scenario
from ercot_sim.market.registry import TERMINAL
from ercot_sim.output.shard import canonical_transactions
from ercot_sim.scenario import load_scenario, load_scenario_text
from ercot_sim.scenario.population import build_population
from tests.conftest import examples

ROOT = Path(__file__).resolve().parents[2]


def small_default():  # type: ignore[no-untyped-def]
    """The embedded default scenario with 250 ESI IDs (its explicit events all fall inside)."""
    scenario = load_scenario()
    return scenario.model_copy(update={"population": scenario.population.model_copy(update={"esi_ids": 250})})


def _tree(path: Path) -> dict[str, bytes]:
    return {str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}


def test_same_scenario_and_seed_give_identical_bytes(tmp_path: Path) -> None:
    scenario = small_default()
    run_scenario(scenario, tmp_path / "a")
    run_scenario(scenario, tmp_path / "b")
    a, b = _tree(tmp_path / "a"), _tree(tmp_path / "b")
    assert a.keys() == b.keys() and len(a) > 50
    assert a == b


def test_another_seed_gives_another_market(tmp_path: Path) -> None:
    scenario = small_default()
    one = run_scenario(scenario, tmp_path / "a")
    two = run_scenario(scenario, tmp_path / "b", seed=99)
    assert one.counts != two.counts


def test_shards_give_the_same_canonical_transactions(tmp_path: Path) -> None:
    scenario = small_default()
    whole = run_scenario(scenario, tmp_path / "whole")
    parts = [run_scenario(scenario, tmp_path / f"s{i}", shard=(i, 3)) for i in range(3)]
    assert sum(p.esi_ids for p in parts) == whole.esi_ids
    assert all(p.esi_ids < whole.esi_ids for p in parts)
    assert canonical_transactions([p.trace for p in parts]) == canonical_transactions([whole.trace])


def test_rules_file_changes_the_market(tmp_path: Path) -> None:
    rules = tmp_path / "fast.toml"
    rules.write_text('[defaults.fasd]\nvalue = 1\n', encoding="utf-8")
    scenario = load_scenario(ROOT / "scenarios" / "switch-standard.toml")
    base = run_scenario(scenario, tmp_path / "base")
    fast = run_scenario(scenario, tmp_path / "fast", rules=rules)
    q = "SELECT scheduled FROM orders"
    assert sqlite3.connect(str(base.trace)).execute(q).fetchone() == ("2025-03-07",)
    assert sqlite3.connect(str(fast.trace)).execute(q).fetchone() == ("2025-03-05",)
    assert fast.timing is not None and fast.timing.fasd_business_days == 1


def test_bad_scenario_names_file_line_and_field(tmp_path: Path) -> None:
    text = (ROOT / "scenarios" / "switch-standard.toml").read_text()
    bad = text.replace('roles = ["AREP"]', 'roles = ["AREP", "POLR "]')
    path = tmp_path / "bad.toml"
    path.write_text(bad, encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    line = next(i for i, s in enumerate(bad.splitlines(), 1) if '"POLR "' in s)
    assert f"bad.toml line {line}, participants.crs[0].roles[1]" in str(info.value)
    result = CliRunner().invoke(app, ["run", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert f"line {line}" in result.output


def test_unknown_participant_is_located(tmp_path: Path) -> None:
    text = (ROOT / "scenarios" / "switch-standard.toml").read_text().replace('cr = "NEWCOMER"', 'cr = "NOBODY"')
    line = next(i for i, s in enumerate(text.splitlines(), 1) if 'cr = "NOBODY"' in s)
    with pytest.raises(ScenarioError) as info:
        load_scenario_text(text, "x.toml")
    assert str(info.value).startswith(f"x.toml line {line}, events[0].cr: unknown CR 'NOBODY'")


def test_cli_runs_and_summarises(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["run", str(ROOT / "scenarios" / "move-out.toml"), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "814_24" in result.output and "completed" in result.output
    assert "compliance (ercot-sim check)" in result.output and "0 violation(s)" in result.output
    assert (tmp_path / "trace.sqlite").exists()


# -- generated markets ---------------------------------------------------------------------
HEAD = (ROOT / "scenarios" / "switch-standard.toml").read_text().split("[population]")[0]
CRS = ["INCUMBENT", "NEWCOMER", "POLR ONE"]

event = st.one_of(
    st.builds(lambda i, d, c, r: ("switch", i, d, c, r), st.integers(0, 5), st.integers(0, 8),
              st.sampled_from(CRS), st.one_of(st.none(), st.integers(3, 14))),
    st.builds(lambda i, d, c, r, p: ("move_in", i, d, c, (d + r, p)), st.integers(0, 5), st.integers(0, 8),
              st.sampled_from(CRS), st.integers(-3, 6), st.booleans()),
    st.builds(lambda i, d, c, r: ("move_out", i, d, c, d + r), st.integers(0, 5), st.integers(0, 8),
              st.sampled_from(CRS), st.integers(1, 6)),
    st.builds(lambda i, d, c, r: ("cancel", i, d, c, r), st.integers(0, 5), st.integers(0, 14), st.sampled_from(CRS),
              st.booleans()),  # a rescission after completion goes through MarkeTrak
    st.builds(lambda i, d, c, r: ("date_change", i, d, c, r), st.integers(0, 5), st.integers(1, 8),
              st.sampled_from(CRS), st.integers(4, 15)),
    st.builds(lambda i, d: ("switch_hold", i, d, None, None), st.integers(0, 5), st.integers(0, 8)),
)


def _scenario_text(events: list[tuple], share: float, mass_transition: int | None = None) -> str:  # type: ignore[type-arg]
    out = [HEAD.replace('share = 0.0\n\n[[participants.crs]]\nname = "POLR ONE"',
                        f'share = {share}\n\n[[participants.crs]]\nname = "POLR ONE"'),
           "[population]\nesi_ids = 6\nenergized = 0.8\n"]
    out[0] = out[0].replace("days = 30", "days = 40")
    for kind, i, day, cr, extra in events:
        lines = ["[[events]]", f'kind = "{kind}"', f"esi_index = {i}", f"day = {day}"]
        if cr:
            lines.append(f'cr = "{cr}"')
        if kind == "switch" and extra is not None:
            lines.append(f"requested_day = {extra}")
        if kind == "move_in":
            lines += [f"requested_day = {max(extra[0], 0)}", f"priority = {'true' if extra[1] else 'false'}"]
        if kind in ("move_out", "date_change"):
            lines.append(f"requested_day = {extra}")
        if kind == "cancel" and extra:
            lines.append("rescission = true")
        out.append("\n".join(lines) + "\n")
    if mass_transition is not None:
        out.append(f'[[mass_transitions]]\ncr = "INCUMBENT"\nday = {mass_transition}\n')
    return "\n".join(out)


def implied_reps(out: Path, roles: dict[str, str]) -> dict[str, list[tuple[str, str, str]]]:
    """Per ESI ID, the (read date, event, CR) that ERCOT's 867s to CRs imply, in read-date order
    (losses before gains on one date: the old CR's service ends where the new one's starts)."""
    events: dict[str, list[tuple[str, str, str]]] = {}
    for path in sorted(out.glob("outbox/*/183529049_*.x12"), key=lambda p: p.name):
        cr = path.parent.name
        if roles.get(cr) != "CR":
            continue
        for txn in iter_transactions(path):
            if txn.st01 != "867":
                continue
            code = identify(txn, roles).code
            model = from_segments(code, [s.elements for s in txn.body])
            if code == "867_04":
                events.setdefault(model.esi_id, []).append((model.meters[0].start.isoformat(), "gain", cr))
            elif code == "867_03" and model.final:
                events.setdefault(model.esi_id, []).append((model.periods[0].end.isoformat(), "loss", cr))
    return {esi: sorted(evs, key=lambda e: (e[0], e[1] == "gain")) for esi, evs in events.items()}


@settings(max_examples=examples(10), deadline=None)
@given(st.lists(event, min_size=1, max_size=8), st.sampled_from([0.0, 0.5]),
       st.one_of(st.none(), st.integers(1, 9)))
def test_generated_markets(tmp_path_factory, events, share, mass_transition) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path_factory.mktemp("gen")
    scenario = load_scenario_text(_scenario_text(events, share, mass_transition))
    result = run_scenario(scenario, out)
    db = sqlite3.connect(str(result.trace))
    # every order reaches a terminal state
    states = [s for (s,) in db.execute("SELECT state FROM orders")]
    assert set(states) <= TERMINAL, states
    if any(e[0] in ("switch", "move_in", "move_out", "historical_usage") for e in events):
        assert states or result.skipped  # a request makes an order or is skipped, saying why
    # the registry: one REP of record per energized ESI ID, replayed from its history
    parts = scenario.participants
    duns = {c.name: c.duns for c in parts.crs}
    start = {p.esi_id: duns[p.rep] if p.rep else "" for p in build_population(scenario).premises}
    registry = {e: (r, s) for e, r, s in db.execute("SELECT esi_id, rep, status FROM registry")}
    replay = dict(start)
    for esi, rep in db.execute("SELECT esi_id, rep FROM rep_history ORDER BY rowid"):
        replay[esi] = rep
    for esi, (rep, status) in registry.items():
        assert replay[esi] == rep
        assert (status == "active") == bool(rep)
    # the registry's final state is what the X12 files imply
    roles = {parts.ercot.duns: "ERCOT", **{t.duns: "TDSP" for t in parts.tdsps},
             **{c.duns: "CR" for c in parts.crs}}
    implied = dict(start)
    for esi, evs in implied_reps(out, roles).items():
        holders = {implied[esi]} - {""}
        for _day, kind, cr in evs:
            if kind == "gain":
                holders = {cr}
            else:
                holders.discard(cr)
        implied[esi] = holders.pop() if holders else ""
    assert {e: r for e, (r, _s) in registry.items()} == implied
    # every file written validates clean
    report = validate(*sorted(out.glob("outbox/*/*.x12")), roles=roles)
    assert report.transactions > 0 and report.ok, report.to_text()


def test_cli_shards_merge_into_one_trace(tmp_path: Path) -> None:
    path = str(ROOT / "scenarios" / "mass-transition.toml")
    assert CliRunner().invoke(app, ["run", path, "--out", str(tmp_path / "w")]).exit_code == 0
    result = CliRunner().invoke(app, ["run", path, "--out", str(tmp_path / "s"), "--shards", "2"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "s" / "shard-000" / "trace.sqlite").exists()
    merged = canonical_transactions([tmp_path / "s" / "trace.sqlite"])
    assert merged == canonical_transactions([tmp_path / "w" / "trace.sqlite"]) and merged
    # renumbered 1..N in (sent_at, sender, receiver, code, ESI ID, ref, file, ST02) order
    db = sqlite3.connect(tmp_path / "s" / "trace.sqlite")
    by_seq = db.execute("SELECT seq, sent_at, sender, receiver, code, esi_id, ref, file, st_control "
                        "FROM transactions ORDER BY seq").fetchall()
    db.close()
    assert [r[0] for r in by_seq] == list(range(1, len(by_seq) + 1))
    assert [r[1:] for r in by_seq] == sorted(r[1:] for r in by_seq)


def test_timing_checker_agrees_with_the_engine(tmp_path: Path) -> None:
    """A run without faults keeps every rule; a late 814_04 is caught by the checker."""
    clean = run_scenario(small_default(), tmp_path / "clean")
    result = CliRunner().invoke(app, ["check", str(clean.trace)])
    assert result.exit_code == 0, result.output
    late = run_scenario(load_scenario(ROOT / "scenarios" / "faults.toml"), tmp_path / "late")
    result = CliRunner().invoke(app, ["check", str(late.trace)])
    assert result.exit_code == 1
    assert "B6-tdsp-814_04" in result.output


@pytest.mark.parametrize("events,share,mass_transition,esi,state", [
    # the old REP's move-out, cancelled by ERCOT when the switch completes, comes back from the
    # TDSP as unexecutable (T024) and ERCOT's cancel as rejected (already worked)
    ([("switch", 3, 0, "NEWCOMER", None), ("move_out", 3, 3, "INCUMBENT", 4)], 0.0, None,
     "10443720000000004", ("move_out", "unexecutable")),
    # a switch into a held ESI ID, cancelled by the mass transition before the TDSP's SHF reject
    # arrives: the reject decides, and the TDSP's "order not found" for the cancel changes nothing
    ([("switch_hold", 1, 0, None, None), ("switch", 1, 3, "INCUMBENT", None)], 0.5, 4,
     "10443720000000002", ("switch", "rejected")),
])
def test_an_ercot_cancel_the_tdsp_has_not_confirmed_leaves_the_tdsp_answer_deciding(
        tmp_path: Path, events: list[tuple], share: float, mass_transition: int | None, esi: str,  # type: ignore[type-arg]
        state: tuple[str, str]) -> None:
    result = run_scenario(load_scenario_text(_scenario_text(events, share, mass_transition)), tmp_path / "run")
    db = sqlite3.connect(str(result.trace))
    try:
        got = db.execute("SELECT kind, state FROM orders WHERE esi_id = ? ORDER BY order_id", (esi,)).fetchall()
        assert state in got
        assert {s for (s,) in db.execute("SELECT state FROM orders")} <= TERMINAL
    finally:
        db.close()


@pytest.mark.xfail(strict=True, reason=(
    "stacking gap, found by the generated-market property test: a switch requested for the date "
    "of a priority move-in already scheduled is not cancelled, so both complete on one date and "
    "the 867_04s imply another REP of record than ERCOT's registry (older than the X12 standard "
    "work; the stacking rules for a move-in and a switch on one date are still to be modelled)"))
def test_a_switch_for_the_date_of_a_scheduled_move_in_does_not_complete_too(tmp_path: Path) -> None:
    events = [("switch", 1, 2, "POLR ONE", None), ("move_in", 1, 1, "INCUMBENT", (7, True))]
    result = run_scenario(load_scenario_text(_scenario_text(events, 0.5, None)), tmp_path / "run")
    db = sqlite3.connect(str(result.trace))
    try:
        done = db.execute("SELECT kind FROM orders WHERE esi_id = '10443720000000002' "
                          "AND state = 'completed'").fetchall()
    finally:
        db.close()
    assert len(done) == 1, done


@pytest.mark.xfail(strict=True, reason=(
    "stacking gap, found by the deep profile of the generated-market property test (400 "
    "examples): a switch away from a CR and that CR's mass transition to the POLR for the same "
    "date both complete, so the POLR's 867_04 and final 867_03 imply another REP of record than "
    "ERCOT's registry (older than the X12 standard work, as the case above)"))
def test_a_switch_and_a_mass_transition_for_one_date_do_not_both_complete(tmp_path: Path) -> None:
    events = [("switch", 2, 1, "NEWCOMER", None)]
    result = run_scenario(load_scenario_text(_scenario_text(events, 0.0, 1)), tmp_path / "run")
    db = sqlite3.connect(str(result.trace))
    try:
        done = db.execute("SELECT kind FROM orders WHERE esi_id = '10443720000000003' "
                          "AND state = 'completed'").fetchall()
        gains = db.execute("SELECT COUNT(*) FROM transactions WHERE esi_id = '10443720000000003' AND code = '867_04' "
                           "AND sender = '183529049'").fetchone()[0]
    finally:
        db.close()
    assert gains == 1, (done, gains)
