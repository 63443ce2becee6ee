"""Participants act on what the transactions say: blanking the trace's order annotation on
every message anyone receives changes no X12 file of any scenario (an answer is linked to its
order through BGN06, as a party reading only files must)."""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

import pytest

from ercot_sim.market.engine import run_scenario
from ercot_sim.market.messages import Message
from ercot_sim.market.participants.base import Participant
from ercot_sim.scenario import load_scenario
from tests.conftest import FLOW_SCENARIOS

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = [p.stem for p in FLOW_SCENARIOS]


def _files(out: Path) -> dict[str, str]:
    return {str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted((out / "outbox").rglob("*.x12"))}


@pytest.mark.parametrize("name", SCENARIOS)
def test_no_participant_needs_the_order_annotation(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    scenario = load_scenario(ROOT / "scenarios" / f"{name}.toml")
    run_scenario(scenario, tmp_path / "a")
    receive = Participant.receive
    seen: list[str] = []

    def blind(self: Participant, batch: list[Message]) -> None:
        seen.extend(m.order_id for m in batch if m.order_id)
        receive(self, [dataclasses.replace(m, order_id="") for m in batch])

    monkeypatch.setattr(Participant, "receive", blind)
    run_scenario(scenario, tmp_path / "b")
    assert _files(tmp_path / "a") == _files(tmp_path / "b")
    # the annotation was there to blank (these three have no orders: usage, invoices, 650s)
    assert seen or name in ("monthly-usage-invoice", "late-payment", "service-orders")
