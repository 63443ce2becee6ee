"""``ercot-sim validate``: check X12 files against the Texas SET guides, optionally acknowledge them.

A thin layer over :func:`edi.validate.validate_source` and :func:`edi.ack_stream.write_997`: files
and folders (recursively ``*.x12``, ``*.edi``, ``*.txt``) are validated one by one into one
report, printed as text (one finding per line, location first, ending with its layer: X12
004010 or Texas SET) or JSON.  With ``--ack DIR`` each input file gets its acknowledgement
(997s, plus a TA1 when the interchange envelope is wrong) written to ``DIR``; the 997s report
the X12 standard's findings, and with ``--ack-guide`` the guides' findings too.

``--list`` prints what was found instead of what is wrong: one line per transaction set (the
Texas SET code it was identified as, or why not; sender and receiver roles; ESI ID; ST02;
how many findings point into it), then the count by code.  The JSON report always carries
the same per transaction set (``records``, ``transaction_codes``).  In the text view each
file's lines are printed once it is read and then dropped, so a file list of any length
holds at most one file's records.

Exit codes: 0 no findings, 1 findings, 2 an input could not be read at all (one line on
stderr per such file, naming it; the readable files are still validated and reported) or a
folder is a run that did not finish (its record, ``.ercot-sim-run.json``, says so).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from edi.ack import ACK_LAYERS
from edi.ack_stream import FindingSpool, write_997
from edi.errors import EdiError
from edi.findings import Finding, Report
from edi.validate import iter_x12_files, validate_source
from ercot_sim.cli._progress import working_steps
from ercot_sim.output.run_folder import read_record

__all__ = ["register", "ack_file_name", "run_validate"]


def ack_file_name(path: Path, root: Path | None) -> str:
    """File name of the acknowledgement of ``path``: ``814_01.x12`` -> ``814_01.997.x12``.

    Files found inside a folder argument keep their sub-folders in the name
    (``in/a/x.x12`` -> ``a__x.997.x12``) so that acknowledgements never overwrite each other.
    """
    rel = path.relative_to(root) if root is not None and path.is_relative_to(root) else Path(path.name)
    stem = "__".join((*rel.parent.parts, rel.stem)) if rel.parent.parts else rel.stem
    return f"{stem}.997.x12"


def run_validate(paths: list[Path], *, as_json: bool = False, ack_dir: Path | None = None, as_list: bool = False,
                 ack_guide: bool = False, as_jsonl: bool = False) -> int:
    """Validate ``paths``, print the report and write acknowledgements; returns the exit code.

    The 997s acknowledge the X12 standard's findings (what a translator reports); with
    ``ack_guide`` the Texas SET guides' findings too.

    ``as_list`` prints one line per transaction set instead of the findings (``as_json``
    wins when both are given: the JSON holds the same lines as data). ``as_jsonl`` prints each
    finding as one JSON object per line as it is found, then one ``summary`` line (memory
    stays flat, like the text view).
    """
    as_json = as_json and not as_jsonl
    keep = as_json or (as_list and not as_jsonl)
    stream = as_list and not as_json and not as_jsonl
    # the text view prints each finding as it is found and keeps none (flat memory); the
    # 997 of a file is written from that file's findings, spooled to a temporary file
    layers = ("x12", "texas-set") if ack_guide else ACK_LAYERS
    spool: FindingSpool | None = None

    def show(finding: Finding) -> None:
        print(json.dumps({"finding": finding.to_dict()}) if as_jsonl else finding)
        if spool is not None:
            spool.add(finding)

    report = Report(sink=None if keep else show)
    problems: list[str] = []
    files: list[tuple[Path, Path | None]] = []
    for p in paths:
        record = read_record(p) if p.is_dir() else None
        if record is not None and record.get("state") != "complete":
            problems.append(f"{p}: incomplete run: its record says the run did not finish (it was killed, "
                            "failed or is still running); its files are validated, not complete")
        try:
            files.extend((f, p if p.is_dir() else None) for f in iter_x12_files([p], skipped=problems))
        except EdiError as exc:
            problems.append(str(exc))
    if ack_dir is not None:
        try:
            ack_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            print(f"{ack_dir}: cannot create the acknowledgement folder: {exc.strerror}", file=sys.stderr)
            return 2
    written: list[str] = []
    used_names: set[str] = set()
    done = 0
    with working_steps("validating") as step:
        for path, root in files:
            name = str(path)
            step(f"validating {name} ({done + 1:,} of {len(files):,} files)")
            done += 1
            start = len(report.findings)
            if spool is not None:
                spool.close()
            spool = FindingSpool(layers) if ack_dir is not None else None
            try:
                validate_source(path, name=name, report=report, records=keep)
            except EdiError as exc:
                problems.append(str(exc) if name in str(exc) else f"{name}: {exc}")
                continue
            finally:
                if stream and report.records:
                    print("\n".join(r.to_text() for r in report.records))
                    report.records.clear()
            if ack_dir is not None and spool is not None:
                if keep:
                    for finding in report.findings[start:]:
                        spool.add(finding)
                fname = ack_file_name(path, root)
                while fname in used_names:
                    fname = "_" + fname
                target = ack_dir / fname
                try:
                    if _write_ack(spool, path, name, target):
                        used_names.add(fname)
                        written.append(str(target))
                except EdiError as exc:
                    problems.append(f"{name}: cannot acknowledge: {exc}")
                except OSError as exc:
                    problems.append(f"{target}: cannot write the acknowledgement: {exc.strerror}")
    if spool is not None:
        spool.close()
    if as_json:
        data = json.loads(report.to_json())
        data["unreadable"] = problems
        data["acknowledgements"] = written
        print(json.dumps(data, indent=2))
    elif as_jsonl:
        summary = {k: v for k, v in json.loads(report.to_json()).items() if k != "findings"}
        summary["findings"] = len(report)
        summary["unreadable"] = problems
        summary["acknowledgements"] = written
        print(json.dumps({"summary": summary}))
    elif stream:
        if files:
            print(report.codes_line())
            print(report.summary_line())
    else:
        if len(report) or files:
            print(report.summary_line())  # the findings themselves were printed as found
        for w in written:
            print(f"acknowledgement written: {w}")
    for line in problems:
        print(line, file=sys.stderr)
    if problems:
        return 2
    return 1 if len(report) else 0


def _write_ack(spool: FindingSpool, path: Path, name: str, target: Path) -> bool:
    """Write the acknowledgement of ``path`` to ``target`` whole or not at all (a temporary
    file beside it, then a rename); False when there is nothing to acknowledge."""
    tmp = target.with_name(f".{target.name}.part")
    try:
        with tmp.open("w", encoding="latin-1", newline="") as out:
            wrote = write_997(spool, path, out, name=name)
        if wrote:
            tmp.replace(target)
        return wrote
    finally:
        tmp.unlink(missing_ok=True)


def register(app: typer.Typer) -> None:
    """Add the ``validate`` command to the app."""

    @app.command("validate")
    def validate_command(
        paths: Annotated[list[Path], typer.Argument(help="X12 files or folders "
                                                         "(folders: *.x12, *.edi, *.txt, recursively).")],
        as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
        ack: Annotated[Path | None, typer.Option("--ack", help="Write a 997 (and TA1 when the envelope is wrong) "
                                                               "per input file into this folder.")] = None,
        as_list: Annotated[bool, typer.Option("--list", help="Print one line per transaction set (Texas SET code or "
                                                             "why not, roles, ESI ID, ST02, findings) and the count "
                                                             "by code, instead of the findings.")] = False,
        as_jsonl: Annotated[bool, typer.Option("--jsonl", help="Print each finding as a JSON object on a line of its "
                                                               "own as it is found, then a summary line (flat memory "
                                                               "for any number of findings).")] = False,
        ack_guide: Annotated[bool, typer.Option("--ack-guide", help="Let the 997s report the Texas SET guides' "
                                                                    "findings too, not only the X12 standard's (a "
                                                                    "translator's 997 reports syntax; guide findings "
                                                                    "are answered by an 824 or a reject).")] = False,
    ) -> None:
        """Validate X12 files against the Texas SET guides: envelopes, identification, segments, elements.

        Exit code 0 when clean, 1 when there are findings, 2 when an input cannot be read.
        """
        raise typer.Exit(run_validate(paths, as_json=as_json, ack_dir=ack, as_list=as_list, ack_guide=ack_guide,
                                      as_jsonl=as_jsonl))
