"""The docs stay true: every command and option is in docs/cli.md, every example runs.

Conventions in docs/*.md:

- a fenced ``sh`` block holds commands; each line starting with ``ercot-sim`` is run (through
  typer's CliRunner, in a fresh folder per page, with ``scenarios/`` linked in) and must exit 0;
- a fenced block with ``file=PATH`` in its info string (```` ```toml file=faults.toml ````) is
  written to PATH in that folder before the page's commands run;
- commands that are meant to exit non-zero, and commands shown with their output, are in
  ``console`` blocks: each ``$ ercot-sim ...`` line is run in the page's order (any exit code)
  and the lines quoted under it must be what it prints, whitespace and line wrapping aside;
  a ``...`` line stands for any output (blocks with other commands, e.g. ``$ python -m
  bench``, are not run);
- a ``json`` block with ``from=PATH#a/0`` in its info string quotes part of a file the page's
  commands write (``a/0``: key ``a``, item 0): after the commands it must equal that part;
- a fenced ``python run`` block is run as it is, in a fresh folder; a ``python`` block with
  ``file=test_*.py`` is an example test file, run by pytest in a fresh folder, and every test
  in it must pass (other ``python`` blocks are fragments, not run).
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from ercot_sim.cli import app

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
FENCE = re.compile(r"^```([A-Za-z0-9_-]*)([^\n]*)\n(.*?)^```[ \t]*$", re.M | re.S)


def _blocks(text: str) -> list[tuple[str, str, str]]:
    return [(m.group(1), m.group(2).strip(), m.group(3)) for m in FENCE.finditer(text)]


def _commands(text: str) -> list[str]:
    out = []
    for lang, _, body in _blocks(text):
        if lang != "sh":
            continue
        for line in body.replace("\\\n", " ").splitlines():
            line = line.strip()
            if line.startswith("ercot-sim ") or line == "ercot-sim":
                out.append(line)
    return out


def _files(text: str) -> dict[str, str]:
    files = {}
    for _, info, body in _blocks(text):
        m = re.search(r"(?:^|\s)file=(\S+)", info)
        if m:
            files[m.group(1)] = body
    return files


def _sections(text: str) -> dict[str, str]:
    parts = re.split(r"^## ", text, flags=re.M)
    return {p.split("\n", 1)[0].strip(): p for p in parts[1:]}


COMMANDS = get_command(app).commands  # type: ignore[attr-defined]


def test_cli_reference_has_every_command_and_option() -> None:
    sections = _sections((DOCS / "cli.md").read_text("utf-8"))
    assert COMMANDS, "no commands registered"
    for name, command in sorted(COMMANDS.items()):
        title = f"ercot-sim {name}"
        assert title in sections, f"docs/cli.md has no section '## {title}'"
        body = sections[title]
        assert command.help, f"command {name} has no help text"
        for param in command.params:
            if param.param_type_name == "option":
                for opt in param.opts:
                    assert re.search(rf"`{re.escape(opt)}[ `=]", body), f"{title}: option {opt} not documented"
            else:
                assert param.name and param.name.upper() in body, f"{title}: argument {param.name} not documented"


def test_cli_reference_documents_nothing_that_does_not_exist() -> None:
    sections = _sections((DOCS / "cli.md").read_text("utf-8"))
    for title in sections:
        if title.startswith("ercot-sim "):
            assert title.split()[1] in COMMANDS, f"docs/cli.md documents a command that does not exist: {title}"


def _pages_with_examples() -> list[Path]:
    return sorted(p for p in DOCS.glob("*.md") if _commands(p.read_text("utf-8")))


def test_user_docs_have_examples() -> None:
    pages = {p.name for p in _pages_with_examples()}
    for name in ("index.md", "cli.md", "quickstart-developer.md", "quickstart-trainer.md",
                 "quickstart-harness.md"):
        assert name in pages


def _steps(text: str) -> list[tuple[str, str, list[str]]]:
    """In page order: ``("sh", command, [])`` and ``("console", command, quoted output lines)``."""
    out: list[tuple[str, str, list[str]]] = []
    for lang, _, body in _blocks(text):
        if lang == "sh":
            out.extend(("sh", c, []) for c in _commands(f"```sh\n{body}```\n"))
        elif lang == "console":
            lines = body.replace("\\\n", " ").splitlines()
            commands = [ln for ln in lines if ln.startswith("$ ")]
            if not commands or not all(c.startswith("$ ercot-sim") for c in commands):
                continue
            for line in lines:
                if line.startswith("$ "):
                    out.append(("console", line[2:].split("  #")[0].strip(), []))
                elif out:
                    out[-1][2].append(line)
    return out


def _quoted_is_printed(quoted: list[str], printed: str) -> bool:
    """The quoted lines appear in the output in order; a ``...`` line skips any output."""
    said = " ".join(printed.split())
    parts = " ".join(" ".join(q.split()) if q.strip() != "..." else "\0" for q in quoted).split("\0")
    chunks = [p.strip() for p in parts]
    if len(chunks) == 1:
        return said == chunks[0]
    at = 0
    for i, chunk in enumerate(chunks):
        if not chunk:
            continue
        found = said.find(chunk, at)
        if found < 0 or (i == 0 and found != 0):
            return False
        at = found + len(chunk)
    return not chunks[-1] or said.endswith(chunks[-1])


@pytest.mark.parametrize("page", _pages_with_examples(), ids=lambda p: p.name)
def test_doc_examples_run(page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = page.read_text("utf-8")
    for linked in ("scenarios", "tests", "ercot_sim"):
        (tmp_path / linked).symlink_to(ROOT / linked, target_is_directory=True)
    for rel, body in _files(text).items():
        target = tmp_path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(body, "utf-8")
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    for kind, line, quoted in _steps(text):
        args = shlex.split(line)[1:]
        result = runner.invoke(app, args)
        if kind == "sh":
            assert result.exit_code == 0, f"{page.name}: `{line}` exited {result.exit_code}:\n{result.output[-3000:]}"
        elif quoted:
            assert _quoted_is_printed(quoted, result.output), (
                f"{page.name}: `{line}` does not print what the page quotes:\n--- quoted\n" + "\n".join(quoted)
                + f"\n--- printed\n{result.output[-3000:]}")
    for _, info, body in _blocks(text):
        m = re.search(r"(?:^|\s)from=(\S+?)(?:#(\S+))?(?:\s|$)", info)
        if not m:
            continue
        written: object = json.loads((tmp_path / m.group(1)).read_text("utf-8"))
        for key in (m.group(2) or "").split("/"):
            if key:
                written = written[int(key)] if isinstance(written, list) else written[key]  # type: ignore[index]
        assert json.loads(body) == written, (f"{page.name}: the {m.group(0).strip()} block is not what the command "
                                             f"wrote:\n{json.dumps(written, indent=2)}")


def test_quoted_output_matching_is_two_sided() -> None:
    assert _quoted_is_printed(["a b", "c"], "a  b\nc\n")
    assert not _quoted_is_printed(["a b", "c"], "a b c d")  # no ... : all of it
    assert _quoted_is_printed(["a", "...", "d"], "a b c d")
    assert not _quoted_is_printed(["a", "...", "e"], "a b c d")
    assert _quoted_is_printed(["x", "..."], "x y z") and not _quoted_is_printed(["y", "..."], "x y z")


def test_fence_parser_reads_the_conventions() -> None:
    text = "x\n```sh\nercot-sim demo --list\necho hi\n```\n```toml file=a/b.toml\nk = 1\n```\n" \
           "```console\n$ ercot-sim check OUT\n```\n"
    assert _commands(text) == ["ercot-sim demo --list"]
    assert _files(text) == {"a/b.toml": "k = 1\n"}


def _python_blocks(text: str) -> list[str]:
    return [body for lang, info, body in _blocks(text) if lang == "python" and info.split()[:1] == ["run"]]


def _python_test_files(text: str) -> dict[str, str]:
    return {name: body for name, body in _files(text).items() if name.startswith("test_") and name.endswith(".py")}


def _pages_with_python() -> list[Path]:
    return sorted(p for p in DOCS.glob("*.md")
                  if _python_blocks(p.read_text("utf-8")) or _python_test_files(p.read_text("utf-8")))


def test_toolkit_page_has_runnable_examples() -> None:
    text = (DOCS / "edi-toolkit.md").read_text("utf-8")
    assert _python_blocks(text) and "test_my_harness.py" in _python_test_files(text)


@pytest.mark.parametrize("page", _pages_with_python(), ids=lambda p: p.name)
def test_doc_python_examples_run(page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = page.read_text("utf-8")
    monkeypatch.chdir(tmp_path)
    for i, block in enumerate(_python_blocks(text)):
        code = compile(block, f"{page.name} python block {i + 1}", "exec")
        exec(code, {"__name__": f"docs_example_{i}"})  # noqa: S102 - the project's own docs
    for name, body in _python_test_files(text).items():
        (tmp_path / name).write_text(body, "utf-8")
        run = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", name],
            cwd=tmp_path, capture_output=True, text=True, timeout=600,
        )
        tests = len(re.findall(r"^def test_", body, re.M))
        assert run.returncode == 0 and f"{tests} passed" in run.stdout, (
            f"{page.name}: {name}:\n{run.stdout[-3000:]}{run.stderr[-2000:]}")
