"""``ercot-sim demo``: a narrated walk-through of a market flow in the terminal.

The engine runs the flow's scenario; every step shown is a transaction it sent, read back
from the trace and the X12 file (see :mod:`ercot_sim.demo`). Exit codes: 0 shown, 2 unknown
flow or unusable scenario.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from edi.errors import EdiError
from ercot_sim.errors import SimError

__all__ = ["register", "render_step"]

_ROLE_STYLE = {"CR": "bold blue", "ERCOT": "bold yellow", "TDSP": "bold green"}


def _flow_table() -> Table:
    from ercot_sim.demo import FLOWS

    table = Table(title="flows (ercot-sim demo FLOW)")
    table.add_column("flow")
    table.add_column("what it shows")
    table.add_column("scenario")
    for f in FLOWS.values():
        table.add_row(f.name, f.title, f"scenarios/{f.scenario}")
    return table


def render_step(step: object, total: int, show_x12: bool) -> Panel:
    """A step of the walk-through as a rich panel (clock in the title)."""
    from ercot_sim.demo import Step

    assert isinstance(step, Step)
    when = step.sent_at
    clock = (f"{when:%Y-%m-%d %a %H:%M} {when.tzname() or ''}  business day {step.business_day}"
             f" (day {step.day})")
    lines: list[Text] = []
    route = Text()
    route.append(step.sender_name, _ROLE_STYLE.get(step.sender_role, "bold"))
    route.append(f" ({step.sender_role}) → ")
    route.append(step.receiver_name, _ROLE_STYLE.get(step.receiver_role, "bold"))
    route.append(f" ({step.receiver_role})")
    lines.append(route)
    head = Text(f"{step.code} {step.name}", style="bold red" if step.reject else "bold")
    if step.reject:
        head.append("  REJECT")
    lines.append(head)
    if step.meaning:
        lines.append(Text(f"For the customer: {step.meaning}", style="italic"))
    lines.append(Text(""))
    for line in step.key_lines:
        lines.append(Text(line, style="dim" if line.startswith("  ") else ""))
    if show_x12:
        lines.append(Text(""))
        lines.append(Text(f"X12 ({step.file} segment {step.segment}):", style="bold"))
        for seg in step.x12:
            lines.append(Text(seg, style="cyan"))
    return Panel(Group(*lines), title=f"Step {step.number}/{total}  {clock}", title_align="left")


def register(app: typer.Typer) -> None:
    """Add the ``demo`` command."""

    @app.command("demo")
    def demo_command(
        flow: Annotated[str | None, typer.Argument(help="The flow to show (see --list).")] = None,
        list_flows: Annotated[bool, typer.Option("--list", help="Name the flows and exit.")] = False,
        step: Annotated[bool, typer.Option("--step", help="Wait for Enter between steps.")] = False,
        x12: Annotated[bool, typer.Option("--x12", help="Show each transaction's raw X12 segments.")] = False,
        scenarios: Annotated[str | None, typer.Option("--scenarios", help="Folder with the flow scenarios "
                                                      "(default ./scenarios, then the source tree's).")] = None,
    ) -> None:
        """Walk through a market flow step by step: the real engine runs it, the demo narrates it.

        Each step shows the clock (date, time, business days since the flow began), sender and
        receiver, the transaction code and name, what it means for the customer, and its key
        segments with decoded values.
        """
        from ercot_sim.demo import run_demo

        console = Console()
        if list_flows:
            console.print(_flow_table())
            raise typer.Exit(0)
        if flow is None:
            print("ercot-sim demo: name a flow (ercot-sim demo --list shows them)", file=sys.stderr)
            raise typer.Exit(2)
        try:
            walk = run_demo(flow, scenarios_dir=scenarios)
        except (SimError, EdiError) as exc:
            print(f"ercot-sim demo: {exc}", file=sys.stderr)
            raise typer.Exit(2) from None
        console.print(Panel(Text(walk.flow.intro), title=f"{walk.flow.title}: ESI ID {walk.esi_id}",
                            subtitle=f"engine run of {walk.scenario_path}", title_align="left"))
        total = len(walk.steps)
        for s in walk.steps:
            console.print(render_step(s, total, x12))
            if step and s.number < total:
                try:
                    console.input("[dim]Enter: next step[/dim] ")
                except EOFError:
                    console.print(f"(input ended: demo stopped after step {s.number} of {total})")
                    raise typer.Exit(0) from None
        for order_id, kind, state in walk.orders:
            console.print(f"Order {order_id} ({kind}): {state}")
        console.print(f"Each file was acknowledged with a 997 (not shown). {walk.others} other ESI ID(s) took "
                      f"part in this scenario: ercot-sim run {walk.scenario_path} --out OUT shows them all.")
