"""Training exercises: a scenario that plants discrepancies, the work queue a trainee works on
a morning of it, and an answer key; the trainee's resolutions (CSV or JSON, item -> action)
are graded with an explanation for each.

```toml
[exercise]
name = "inadvertent-gain"
title = "An inadvertent gain"
trainee = "CR:223456789"                 # whose queue the trainee works
scenario = "inadvertent-gain.scenario.toml"   # next to this file
brief = "You work the exceptions queue of NEWCOMER ..."

[[answers]]
kind = "inadvertent"                     # the queue item: its kind and test-bed ESI ID index
esi = 1
action = "marketrak"                     # marketrak, send, reject, resubmit, contact-customer, no-action
marketrak = ["Inadvertent Gain"]         # the issue types accepted (marketrak actions)
explain = "Your 814_01 named the next premise ..."
```

A response names a queue item by its key (``inadvertent:10443720000000002``, as the queue
prints it) and says ``action`` (and ``marketrak`` or ``code`` where the action needs one).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator

from ercot_sim.errors import SimError
from ercot_sim.tomlload import load_toml_model

__all__ = ["ACTIONS", "Exercise", "ExerciseError", "Graded", "grade", "item_keys", "load_exercise",
           "read_responses"]

#: what a trainee may do about a queue item
ACTIONS = ("marketrak", "send", "reject", "resubmit", "contact-customer", "no-action")
Action = Literal["marketrak", "send", "reject", "resubmit", "contact-customer", "no-action"]


class ExerciseError(SimError):
    """An exercise or a trainee's responses cannot be used."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ExerciseInfo(_Strict):
    """What the exercise is and whose queue the trainee works."""

    name: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,40}$")]
    title: str
    trainee: Annotated[str, StringConstraints(pattern=r"^(CR|TDSP|ERCOT):[0-9]{9}([0-9]{4})?$")]
    #: the scenario file, relative to the exercise file
    scenario: str
    brief: str
    #: the morning the trainee works (a run day number); default the morning after the run
    day: int | None = Field(default=None, ge=1)


class Expected(_Strict):
    """One item of the answer key: the queue item, and what should be done about it."""

    kind: str
    esi: int = Field(ge=0)
    code: str | None = None
    action: Action
    marketrak: list[str] = []
    send: str | None = None
    explain: str

    @model_validator(mode="after")
    def _complete(self) -> Expected:
        if (self.action == "marketrak") != bool(self.marketrak):
            raise ValueError("a marketrak action names the issue types accepted (marketrak), and only it does")
        if (self.action == "send") != (self.send is not None):
            raise ValueError("a send action names the code to send (send), and only it does")
        return self


class Exercise(_Strict):
    """An exercise file (see the module docstring)."""

    exercise: ExerciseInfo
    answers: list[Expected] = Field(min_length=1)


def load_exercise(path: str | Path) -> Exercise:
    """Read an exercise file.

    Raises:
        ExerciseError: missing or wrong (the file, the line and the field), or its scenario missing.
    """
    ex = load_toml_model(path, Exercise, ExerciseError)
    if not (Path(path).parent / ex.exercise.scenario).is_file():
        raise ExerciseError(f"exercise.scenario: no file {ex.exercise.scenario} next to the exercise", str(path))
    return ex


def item_keys(ex: Exercise, esi_of: list[str], where: str = "") -> list[str]:
    """The queue item key of each answer, with the scenario's ESI IDs (by index) filled in.

    Raises:
        ExerciseError: an answer names an ESI ID index outside the scenario's population.
    """
    for n, a in enumerate(ex.answers):
        if a.esi >= len(esi_of):
            raise ExerciseError(f"answers[{n}].esi: {a.esi} is outside the scenario's {len(esi_of)} ESI IDs", where)
    return [f"{a.kind}:{esi_of[a.esi]}" + (f":{a.code}" if a.code else "") for a in ex.answers]


class Response(_Strict):
    """One resolution a trainee recorded."""

    item: str = Field(min_length=1)
    action: Action
    marketrak: str = ""
    code: str = ""
    note: str = ""


def read_responses(path: Path) -> list[Response]:
    """A trainee's resolutions: CSV (a header of item, action, marketrak, code, note; rows with no
    action are items left alone) or JSON (a list of such objects).

    Raises:
        ExerciseError: unreadable, or a row with an unknown action (names the file, the row and the field).
    """
    try:
        text = path.read_text(encoding="utf-8-sig")  # a spreadsheet's UTF-8 sheet starts with a BOM
    except OSError as exc:
        raise ExerciseError(f"cannot read the responses: {exc.strerror}", str(path)) from None
    except UnicodeDecodeError as exc:
        raise ExerciseError(f"byte {exc.start}: not UTF-8 text (save the sheet as CSV UTF-8)", str(path)) from None
    numbered: list[tuple[int, Any]]
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ExerciseError(f"line {exc.lineno}: not JSON: {exc.msg}", str(path)) from None
        if not isinstance(data, list):
            raise ExerciseError("a JSON list of responses is expected", str(path))
        numbered = list(enumerate(data, 1))
        where = "item {n}"
    else:
        reader = csv.DictReader(io.StringIO(text))
        numbered = [(reader.line_num, {k: (v or "").strip() for k, v in row.items() if k}) for row in reader]
        numbered = [(n, r) for n, r in numbered if r.get("action")]  # rows left blank: items not answered
        where = "line {n}"
    out = []
    for n, row in numbered:
        try:
            out.append(Response.model_validate(row))
        except ValidationError as exc:
            err = exc.errors()[0]
            field = ".".join(str(x) for x in err["loc"]) or "?"
            raise ExerciseError(f"{where.format(n=n)}, {field}: {err['msg']} (actions: {', '.join(ACTIONS)})",
                                str(path)) from None
    return out


@dataclass(frozen=True, slots=True)
class Graded:
    """How one answer-key item went."""

    key: str
    status: str  # correct, wrong, missing
    said: str
    expected: str
    explain: str

    def to_dict(self) -> dict[str, str]:
        return {"item": self.key, "status": self.status, "said": self.said, "expected": self.expected,
                "explain": self.explain}


def _said(r: Response) -> str:
    extra = r.marketrak or r.code
    return r.action + (f" ({extra})" if extra else "")


def _expected(a: Expected) -> str:
    if a.action == "marketrak":
        return "marketrak (" + " or ".join(a.marketrak) + ")"
    return a.action + (f" ({a.send})" if a.send else "")


def grade(ex: Exercise, keys: list[str], responses: list[Response]) -> tuple[list[Graded], list[str]]:
    """Each answer-key item judged against the trainee's response to it, and the items the
    trainee answered that the key does not hold (not scored)."""
    by_item = {r.item: r for r in responses}
    out = []
    for a, key in zip(ex.answers, keys, strict=True):
        r = by_item.get(key)
        if r is None:
            out.append(Graded(key, "missing", "", _expected(a), a.explain))
            continue
        right = r.action == a.action and (
            a.action != "marketrak" or r.marketrak.strip().lower() in {m.lower() for m in a.marketrak}) and (
            a.action != "send" or r.code == a.send)
        out.append(Graded(key, "correct" if right else "wrong", _said(r), _expected(a), a.explain))
    extra = sorted(set(by_item) - set(keys))
    return out, extra
