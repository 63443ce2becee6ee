"""Load a TOML file into a pydantic v2 model with errors that name file, line and field.

TOML parsers return plain data without positions, so this module keeps a small scanner
(:class:`TomlLocator`) that walks the source text once and records the line on which every
table, array-of-tables entry, key and array element starts. A pydantic error location such
as ``("reps", 1, "role")`` is then mapped to a line; a field that is missing is reported on
the line of its nearest enclosing table, inline table or array element.

Typical use::

    scenario = load_toml_model("scenarios/x.toml", Scenario, ScenarioError)

which raises, for example::

    ScenarioError: scenarios/x.toml line 12, reps[1].role: Input should be 'AREP', 'POLR' or 'COMPETITIVE'

Every error of a file is reported, one per line, in pydantic's order. Models should use
``model_config = ConfigDict(extra="forbid")`` so that unknown keys are errors too.
"""

from __future__ import annotations

import contextlib
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from ercot_sim.errors import SimError

__all__ = [
    "TomlIssue",
    "TomlLocator",
    "format_loc",
    "load_toml_model",
    "load_toml_text",
    "parse_toml_text",
    "validation_error",
]

M = TypeVar("M", bound=BaseModel)
E = TypeVar("E", bound=SimError)

Loc = tuple[str | int, ...]

_DECODE_POS = re.compile(r"\(at line (\d+), column (\d+)\)")


@dataclass(frozen=True)
class TomlIssue:
    """One problem found in a TOML file.

    Attributes:
        name: the file name as given by the caller.
        line: 1-based line number, or 0 when nothing better than the file is known.
        field: the dotted field path (``reps[1].role``), empty for syntax errors.
        message: what is wrong, in pydantic's or tomllib's words.
    """

    name: str
    line: int
    field: str
    message: str

    @property
    def location(self) -> str:
        """``name line N, field`` (the parts that are known)."""
        text = self.name if not self.line else f"{self.name} line {self.line}"
        return f"{text}, {self.field}" if self.field else text

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"


def format_loc(loc: Sequence[str | int]) -> str:
    """Render a location tuple as ``reps[1].role``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _make_error(error_cls: type[E], issues: Sequence[TomlIssue]) -> E:
    first = issues[0]
    reason = "\n".join([first.message, *(str(i) for i in issues[1:])])
    err = error_cls(reason, first.location)
    err.issues = list(issues)  # type: ignore[attr-defined]
    return err


def parse_toml_text(text: str, name: str, error_cls: type[E]) -> dict[str, Any]:
    """Parse TOML text; a syntax error becomes ``error_cls`` naming file and line.

    Args:
        text: the TOML source.
        name: file name used in messages.
        error_cls: the :class:`~ercot_sim.errors.SimError` subclass to raise.

    Returns:
        The parsed document.
    """
    try:
        return tomllib.loads(text)
    except RecursionError:
        raise error_cls("nested too deeply to be a scenario, rules or faults file", name) from None
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        line = getattr(exc, "lineno", None)
        match = _DECODE_POS.search(message)
        if line is None:
            if match:
                line = int(match.group(1))
            elif "end of document" in message:
                line = text.count("\n") + (0 if text.endswith("\n") else 1)
        message = _DECODE_POS.sub("", message).replace("(at end of document)", "").strip()
        raise _make_error(
            error_cls, [TomlIssue(name, line or 0, "", f"TOML syntax error: {message}")]
        ) from None


def _clean_loc(data: Any, loc: Loc) -> Loc:
    """Drop location parts that are not in the data (union member tags such as ``'int'``).

    Pydantic inserts the name of the tried type into ``loc`` for unions; the user sees only
    keys and indexes of the file. The last part is always kept: it names a missing or an
    unknown key.
    """
    out: list[str | int] = []
    node = data
    for i, part in enumerate(loc):
        last = i == len(loc) - 1
        in_dict = isinstance(node, dict) and isinstance(part, str) and part in node
        in_list = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        if in_dict or in_list:
            out.append(part)
            node = node[part]
        elif last and (isinstance(node, dict) or isinstance(part, int)):
            out.append(part)
        # Otherwise the part is a union member tag ('int', 'str', a model name): skip it.
    return tuple(out)


def validation_error(
    exc: ValidationError,
    text: str,
    name: str,
    error_cls: type[E],
    data: Any = None,
    loc_prefix: Loc = (),
) -> E:
    """Turn a pydantic ``ValidationError`` into ``error_cls`` with file, line and field.

    Args:
        exc: the pydantic error.
        text: TOML source the data came from (used to find lines).
        name: file name used in messages.
        error_cls: exception class to build.
        data: the parsed data that was validated (lets union tags be dropped from paths);
            when ``loc_prefix`` is given this is the sub-document validated.
        loc_prefix: where the validated data sits in the file, when only a part of the
            document was validated (e.g. ``("rules", 3)``).

    Returns:
        The exception (not raised), carrying an ``issues`` list of :class:`TomlIssue`
        sorted by line.
    """
    locator = TomlLocator(text)
    issues = []
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        if data is not None:
            loc = _clean_loc(data, loc)
        full = tuple(loc_prefix) + loc
        issues.append(TomlIssue(name, locator.line_of(full), format_loc(full), err["msg"]))
    if not issues:  # pragma: no cover - pydantic always reports at least one error
        issues.append(TomlIssue(name, 0, "", str(exc)))
    issues.sort(key=lambda issue: issue.line)
    return _make_error(error_cls, issues)


def load_toml_text(text: str, name: str, model_cls: type[M], error_cls: type[E]) -> M:
    """Parse and validate TOML text (the in-memory form of :func:`load_toml_model`).

    Args:
        text: the TOML source.
        name: file name used in messages.
        model_cls: pydantic model of the whole document.
        error_cls: exception class to raise on any problem.

    Returns:
        The validated model.

    Raises:
        error_cls: syntax or validation errors, every one naming file, line and field.
    """
    data = parse_toml_text(text, name, error_cls)
    try:
        return model_cls.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc, text, name, error_cls, data=data) from None


def load_toml_model(path: str | Path, model_cls: type[M], error_cls: type[E]) -> M:
    """Read a TOML file and validate it with a pydantic model.

    Args:
        path: the file to read (UTF-8).
        model_cls: pydantic model of the whole document.
        error_cls: the :class:`~ercot_sim.errors.SimError` subclass to raise.

    Returns:
        The validated model.

    Raises:
        error_cls: the file cannot be read, is not TOML, or does not fit the model.
    """
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error_cls("file not found", name) from None
    except UnicodeDecodeError as exc:
        raise error_cls(f"not UTF-8 text (byte {exc.start})", name) from None
    except OSError as exc:
        raise error_cls(f"cannot read file: {exc.strerror}", name) from None
    return load_toml_text(text, name, model_cls, error_cls)


class TomlLocator:
    """Line numbers of the keys, tables and array elements of a TOML document.

    The scanner assumes the text is valid TOML (it is used after ``tomllib`` accepted it)
    and records, for every path such as ``("reps", 1, "role")``, the 1-based line where
    that key or element starts. :meth:`line_of` falls back to the nearest recorded parent.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.line = 1
        self.lines: dict[Loc, int] = {}
        self._aot: dict[Loc, int] = {}
        # Errors are only possible for text tomllib would reject; keep what was found.
        with contextlib.suppress(IndexError, ValueError):
            self._scan()

    def line_of(self, loc: Sequence[str | int]) -> int:
        """Line of ``loc`` or of its nearest recorded parent (1 when none is)."""
        loc = tuple(loc)
        for end in range(len(loc), 0, -1):
            line = self.lines.get(loc[:end])
            if line is not None:
                return line
        return 1

    # -- scanner ------------------------------------------------------------------------
    def _peek(self, n: int = 1) -> str:
        return self.text[self.pos : self.pos + n]

    def _advance(self, n: int = 1) -> None:
        chunk = self.text[self.pos : self.pos + n]
        self.line += chunk.count("\n")
        self.pos += n

    def _skip_ws(self, newlines: bool = False) -> None:
        while self.pos < len(self.text):
            ch = self.text[self.pos]
            if ch in " \t\r" or (newlines and ch == "\n"):
                self._advance()
            elif ch == "#":
                end = self.text.find("\n", self.pos)
                self._advance((len(self.text) if end < 0 else end) - self.pos)
            else:
                return

    def _record(self, path: Loc) -> None:
        self.lines.setdefault(path, self.line)

    def _scan(self) -> None:
        table: Loc = ()
        while True:
            self._skip_ws(newlines=True)
            if self.pos >= len(self.text):
                return
            if self._peek(2) == "[[":
                self._advance(2)
                table = self._header(array=True)
                self._skip_ws()
                self._advance(2)
            elif self._peek() == "[":
                self._advance()
                table = self._header(array=False)
                self._skip_ws()
                self._advance()
            else:
                self._keyval(table)

    def _resolve(self, keys: list[str]) -> Loc:
        path: Loc = ()
        for key in keys:
            path = (*path, key)
            self._record(path)
            if path in self._aot:
                path = (*path, self._aot[path] - 1)
        return path

    def _header(self, array: bool) -> Loc:
        keys = self._key()
        if not array:
            path = self._resolve(keys)
            self.lines[path] = self.line
            return path
        parent = self._resolve(keys[:-1])
        base = (*parent, keys[-1])
        self._record(base)
        index = self._aot.get(base, 0)
        self._aot[base] = index + 1
        path = (*base, index)
        self.lines[path] = self.line
        return path

    def _key(self) -> list[str]:
        keys = []
        while True:
            self._skip_ws()
            ch = self._peek()
            if ch == '"':
                keys.append(self._basic_string())
            elif ch == "'":
                end = self.text.index("'", self.pos + 1)
                keys.append(self.text[self.pos + 1 : end])
                self._advance(end + 1 - self.pos)
            else:
                start = self.pos
                while self.pos < len(self.text) and (
                    self.text[self.pos].isalnum() or self.text[self.pos] in "_-"
                ):
                    self.pos += 1
                if self.pos == start:
                    raise ValueError("bad key")
                keys.append(self.text[start : self.pos])
            self._skip_ws()
            if self._peek() == ".":
                self._advance()
                continue
            return keys

    def _keyval(self, table: Loc) -> None:
        keys = self._key()
        path = table
        for key in keys:
            path = (*path, key)
            self._record(path)
        self._skip_ws()
        self._advance()  # '='
        self._skip_ws()
        self._value(path)

    def _basic_string(self) -> str:
        # A quoted key: decode the usual escapes well enough to match dict keys.
        end = self.pos + 1
        while self.text[end] != '"':
            end += 2 if self.text[end] == "\\" else 1
        raw = self.text[self.pos + 1 : end]
        self._advance(end + 1 - self.pos)
        try:
            return tomllib.loads(f'k = "{raw}"')["k"]
        except tomllib.TOMLDecodeError:
            return raw

    def _value(self, path: Loc) -> None:
        ch = self._peek()
        if self._peek(3) in ('"""', "'''"):
            quote = self._peek(3)
            end = self.pos + 3
            while True:
                end = self.text.index(quote, end)
                if quote == '"""' and self._escaped(end):
                    end += 1
                    continue
                break
            while self.text[end + 3 : end + 4] == quote[0]:
                end += 1
            self._advance(end + 3 - self.pos)
        elif ch == '"':
            end = self.pos + 1
            while self.text[end] != '"':
                end += 2 if self.text[end] == "\\" else 1
            self._advance(end + 1 - self.pos)
        elif ch == "'":
            end = self.text.index("'", self.pos + 1)
            self._advance(end + 1 - self.pos)
        elif ch == "[":
            self._advance()
            index = 0
            while True:
                self._skip_ws(newlines=True)
                if self._peek() == "]":
                    self._advance()
                    return
                self.lines.setdefault((*path, index), self.line)
                self._value((*path, index))
                index += 1
                self._skip_ws(newlines=True)
                if self._peek() == ",":
                    self._advance()
        elif ch == "{":
            self._advance()
            while True:
                self._skip_ws()
                if self._peek() == "}":
                    self._advance()
                    return
                self._keyval(path)
                self._skip_ws()
                if self._peek() == ",":
                    self._advance()
        else:
            start = self.pos
            while self.pos < len(self.text) and self.text[self.pos] not in ",]}\n#":
                self.pos += 1
            if self.pos == start:
                raise ValueError("bad value")

    def _escaped(self, index: int) -> bool:
        count = 0
        while index - 1 - count >= 0 and self.text[index - 1 - count] == "\\":
            count += 1
        return count % 2 == 1
