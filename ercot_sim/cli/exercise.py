"""``ercot-sim exercise run EXERCISE --out DIR`` and ``ercot-sim grade EXERCISE RESPONSES``:
training on a work queue (:mod:`ercot_sim.books.exercise`).

``exercise run`` plays the exercise's scenario into ``DIR/run``, prints the brief and the
trainee's work queue on the exercise's morning, and writes ``DIR/queue.txt`` and
``DIR/responses.csv`` (one row per queue item, the action left blank for the trainee). ``grade``
scores the trainee's responses (CSV or JSON) against the answer key, each item with the
explanation a trainer would give.

Exit codes: exercise run 0 (or 2: unusable input, an answer-key item the queue does not hold);
grade 0 every item right, 1 some wrong or left out, 2 unusable input.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from ercot_sim.errors import SimError

__all__ = ["register"]

#: marks a folder as an exercise run's: a later run into it replaces exactly what it wrote
_MARK = ".exercise-run"
_OURS = ("run", "queue.txt", "responses.csv", _MARK)


def _esi_ids(scenario: Path) -> list[str]:
    from ercot_sim.scenario import load_scenario
    from ercot_sim.scenario.population import build_population

    return [p.esi_id for p in build_population(load_scenario(scenario)).premises]


def register(app: typer.Typer) -> None:
    """Add the ``exercise`` and ``grade`` commands."""
    exercise_app = typer.Typer(help="Training exercises on a participant's work queue.", no_args_is_help=True)
    app.add_typer(exercise_app, name="exercise")

    @exercise_app.command("run")
    def exercise_run(
        exercise: Annotated[Path, typer.Argument(help="The exercise file (scenarios/exercises/*.toml).")],
        out: Annotated[Path, typer.Option("--out", help="Where the run, the queue and the responses sheet go.")],
    ) -> None:
        """Play an exercise's scenario and show the trainee's work queue."""
        import shutil

        from ercot_sim.books.exercise import ExerciseError, item_keys, load_exercise
        from ercot_sim.books.worklist import queue_text, worklist
        from ercot_sim.market.engine import run_scenario
        from ercot_sim.scenario import load_scenario

        try:
            ex = load_exercise(exercise)
            scenario_path = exercise.parent / ex.exercise.scenario
            scenario = load_scenario(scenario_path)
            if out.exists() and any(out.iterdir()):
                if not (out / _MARK).is_file() or any(p.name not in _OURS for p in out.iterdir()):
                    raise ExerciseError("the folder holds files that are not an exercise run's: give an empty or "
                                        "new --out", str(out))
                for name in _OURS:
                    path = out / name
                    if path.is_dir():
                        shutil.rmtree(path)
                    elif path.exists():
                        path.unlink()
            out.mkdir(parents=True, exist_ok=True)
            (out / _MARK).write_text("an exercise run's folder\n", encoding="utf-8")
            run_scenario(scenario, out / "run")
            info = scenario.scenario
            keys = item_keys(ex, _esi_ids(scenario_path), str(exercise))
            if ex.exercise.day is not None and ex.exercise.day > info.days:
                raise ExerciseError(f"exercise.day: {ex.exercise.day} is after the run's {info.days} days",
                                    str(exercise))
            morning = info.start + dt.timedelta(days=ex.exercise.day or info.days)
            duns = ex.exercise.trainee.split(":")[1]
            if duns not in {p.duns for p in scenario.participants.everyone()} | {scenario.participants.ercot.duns}:
                raise ExerciseError(f"exercise.trainee: {duns} is not a participant of the scenario", str(exercise))
            items = worklist(out / "run" / "trace.sqlite", duns, morning)
            on_queue = {i.key for i in items}
            absent = [k for k in keys if k not in on_queue]
            if absent:
                raise ExerciseError(f"answers: {absent[0]} is not on the trainee's queue: the scenario no longer "
                                    "plants it", str(exercise))
        except SimError as exc:
            typer.echo(f"ercot-sim exercise run: {exc}", err=True)
            raise typer.Exit(2) from None
        text = queue_text(duns, morning, items)
        (out / "queue.txt").write_text(text, encoding="utf-8")
        (out / "responses.csv").write_text("item,action,marketrak,code,note\n" + "".join(
            f"{i.key},,,,\n" for i in items), encoding="utf-8")
        typer.echo(f"{ex.exercise.title}\n\n{ex.exercise.brief.strip()}\n\n{text}\nRecord what you would do about "
                   f"each item in {out / 'responses.csv'} (action: marketrak, send, reject, resubmit, "
                   f"contact-customer or no-action), then: ercot-sim grade {exercise} {out / 'responses.csv'}")

    @app.command("grade")
    def grade_command(
        exercise: Annotated[Path, typer.Argument(help="The exercise file.")],
        responses: Annotated[Path, typer.Argument(help="The trainee's resolutions: CSV (item, action, marketrak, "
                                                        "code, note) or JSON.")],
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    ) -> None:
        """Score a trainee's resolutions of an exercise, with an explanation for each item."""
        import json

        from ercot_sim.books.exercise import grade, item_keys, load_exercise, read_responses

        try:
            ex = load_exercise(exercise)
            keys = item_keys(ex, _esi_ids(exercise.parent / ex.exercise.scenario), str(exercise))
            graded, extra = grade(ex, keys, read_responses(responses))
        except SimError as exc:
            typer.echo(f"ercot-sim grade: {exc}", err=True)
            raise typer.Exit(2) from None
        right = sum(1 for g in graded if g.status == "correct")
        if as_json:
            typer.echo(json.dumps({"exercise": ex.exercise.name, "score": f"{right}/{len(graded)}",
                                   "items": [g.to_dict() for g in graded], "not_in_the_key": extra}, indent=1))
        else:
            typer.echo(f"{ex.exercise.title}: {right} of {len(graded)} right")
            for g in graded:
                said = f"you said {g.said}" if g.said else "no answer"
                typer.echo(f"  {g.status.upper():<8} {g.key}: {said}; expected {g.expected}")
                if g.status != "correct":
                    typer.echo(f"           why: {g.explain}")
            for key in extra:
                typer.echo(f"  NOTE     {key}: not an item of this exercise's key (not scored)")
        if right < len(graded):
            raise typer.Exit(1)
