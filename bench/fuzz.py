"""``python -m bench fuzz``: throw mutated inputs at every public parser and loader.

Each target takes bytes or text made from a seed corpus (the X12 samples and golden files,
the scenarios, the rules) by random mutations (flip, insert, delete, duplicate or swap
spans, splice two inputs, truncate, insert delimiters and control characters) and must
either succeed or raise the library's own error (:class:`edi.errors.EdiError` for ``edi``,
:class:`ercot_sim.errors.SimError` for the loaders). Anything else is a failure: its target,
input number and exception are printed, and the input is saved under ``--save`` to replay.

Targets: ``read`` (edi.iter_transactions), ``validate`` (edi.validate.validate_source with
records), ``ack`` (build_997 and build_ta1 from the findings), ``xml`` (x12_to_xml and back,
and xml_to_x12 of mutated XML), ``scenario`` (load_scenario_text) and ``rules`` (a rules
override file). ``--inputs N`` is the total, spread evenly; the same ``--seed`` gives the
same inputs. Prints one JSON object with the counts per target.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from bench import provenance

ROOT = Path(__file__).resolve().parent.parent
_NOISE = [b"~", b"*", b">", b"^", b"\n", b"\r\n", b"\x00", b"\x1c", b"\xff", b"ISA", b"GS*", b"ST*", b"SE*",
          b"GE*", b"IEA*", b"9" * 12, b"-", b".", b"E", b" ", b"\xc2\xb2"]


def _mutate(rng: random.Random, data: bytes, other: bytes) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        if not out:
            out += rng.choice(_NOISE)
            continue
        kind = rng.randrange(8)
        i = rng.randrange(len(out))
        j = min(len(out), i + rng.randint(1, 40))
        if kind == 0:
            out[i] = rng.randrange(256)
        elif kind == 1:
            out[i:i] = rng.choice(_NOISE)
        elif kind == 2:
            del out[i:j]
        elif kind == 3:
            out[i:i] = out[i:j]
        elif kind == 4:
            k = rng.randrange(len(out))
            out[i:j], out[k:k] = b"", bytes(out[i:j])
        elif kind == 5 and other:
            a = rng.randrange(len(other))
            out[i:j] = other[a:a + rng.randint(1, 200)]
        elif kind == 6:
            del out[rng.randrange(len(out)):]
        else:
            out[i:j] = bytes(rng.randrange(256) for _ in range(j - i))
    return bytes(out)


def _corpus() -> dict[str, list[bytes]]:
    x12 = [p.read_bytes() for p in sorted((ROOT / "tests" / "edi").rglob("*.x12"))]
    scenarios = [p.read_bytes() for p in sorted((ROOT / "scenarios").glob("*.toml"))]
    rules = [b'[[rules]]\nid = "B6-tdsp-814_04"\nenabled = false\n',
             b'[defaults.fasd]\nvalue = 3\n',
             (ROOT / "ercot_sim" / "timing" / "rules-pre-rmgrr162.toml").read_bytes()]
    return {"x12": x12, "scenario": scenarios, "rules": rules}


def _targets(tmp: Path) -> dict[str, tuple[str, Callable[[bytes], None], tuple[type[BaseException], ...]]]:
    from edi.ack import build_997, build_ta1, read_envelopes
    from edi.errors import EdiError
    from edi.findings import Report
    from edi.texas_set.xmlio import x12_to_xml, xml_to_x12
    from edi.validate import validate_source
    from edi.x12 import iter_transactions
    from ercot_sim.errors import SimError
    from ercot_sim.scenario import load_scenario_text
    from ercot_sim.timing.rules import load_rules

    def read(data: bytes) -> None:
        rep = Report()
        for txn in iter_transactions(data, report=rep):
            _ = [s.elements for s in txn.segments]

    def validate(data: bytes) -> None:
        validate_source(data, name="fuzz.x12", records=True)

    def ack(data: bytes) -> None:
        rep = validate_source(data, name="fuzz.x12")
        build_997(rep, data, name="fuzz.x12", layers=("x12", "texas-set"))
        build_ta1(rep, read_envelopes(data, name="fuzz.x12"), always=True)

    def xml(data: bytes) -> None:
        try:
            doc = x12_to_xml(data)
        except EdiError:
            return
        assert xml_to_x12(doc) == data, "x12 -> xml -> x12 changed the bytes"
        xml_to_x12(doc.replace(b"<", b"<<", 1) if len(doc) % 3 == 0 else doc[: len(doc) // 2])

    def scenario(data: bytes) -> None:
        load_scenario_text(data.decode("utf-8", "replace"), "fuzz.toml")

    rules_file = tmp / "fuzz-rules.toml"

    def rules(data: bytes) -> None:
        rules_file.write_bytes(data)
        load_rules(overrides=[rules_file])

    return {
        "read": ("x12", read, (EdiError,)),
        "validate": ("x12", validate, (EdiError,)),
        "ack": ("x12", ack, (EdiError,)),
        "xml": ("x12", xml, (EdiError,)),
        "scenario": ("scenario", scenario, (SimError,)),
        "rules": ("rules", rules, (SimError,)),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench fuzz", description=__doc__.splitlines()[0])
    ap.add_argument("--inputs", type=int, default=60_000, help="inputs in all, spread over the targets")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--target", action="append", help="only these targets (repeatable)")
    ap.add_argument("--save", type=Path, default=Path("fuzz-failures"), help="folder for failing inputs")
    args = ap.parse_args(argv)
    corpus = _corpus()
    rng = random.Random(args.seed)
    failures: list[dict[str, object]] = []
    counts: dict[str, dict[str, int]] = {}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="fuzz-") as tmp:
        targets = _targets(Path(tmp))
        names = [t for t in targets if not args.target or t in args.target]
        base, extra = divmod(max(args.inputs, len(names)), len(names))
        for k, name in enumerate(names):  # exactly --inputs in all: the first targets take the rest
            kind, fn, allowed = targets[name]
            seeds = corpus[kind]
            c = counts[name] = {"inputs": 0, "accepted": 0, "refused": 0, "failed": 0}
            for n in range(base + (1 if k < extra else 0)):
                data = _mutate(rng, rng.choice(seeds), rng.choice(seeds))
                c["inputs"] += 1
                try:
                    fn(data)
                    c["accepted"] += 1
                except allowed:
                    c["refused"] += 1
                except Exception as exc:  # noqa: BLE001 - what the fuzzer is looking for
                    c["failed"] += 1
                    args.save.mkdir(parents=True, exist_ok=True)
                    saved = args.save / f"{name}-{n}.bin"
                    saved.write_bytes(data)
                    where = traceback.extract_tb(exc.__traceback__)[-1]
                    failures.append({"target": name, "input": n, "saved": str(saved),
                                     "error": f"{type(exc).__name__}: {str(exc)[:200]}",
                                     "at": f"{Path(where.filename).name}:{where.lineno}"})
                if n and n % 20_000 == 0:
                    print(f"{name}: {n:,} inputs, {c['failed']} failure(s)", file=sys.stderr)
    total = sum(c["inputs"] for c in counts.values())
    print(json.dumps({**provenance(), "seed": args.seed, "inputs": total,
                      "seconds": round(time.perf_counter() - started, 1), "targets": counts,
                      "failures": failures[:50]}, indent=1))
    return 1 if failures else 0
