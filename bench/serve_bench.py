"""``python -m bench serve``: a retailer's transactions per second into ``ercot-sim serve`` over NAESB
EDM on loopback, with the market's 997s and answers, against posting the same files to a
plain POST-and-store server of the same library (aiohttp) in the same run.

The market of a month of ``--esiids`` ESI IDs is split at its largest retailer: ``ercot-sim
serve --under-test`` and ``--as`` run as two processes exchanging every window's files as EDM
posts (each side a receiver), the market answering everything the retailer sends on the
market's timing. The inbound rate is the retailer's transactions over the wall time of the
whole month (both simulations, 240 window round trips, every post validated, stored and
acknowledged). The baseline posts the retailer's files, one at a time as the lockstep does, to
a server that only writes them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

from bench.edm_bench import _BASELINE

__all__ = ["main"]

CLI = [sys.executable, "-m", "ercot_sim"]


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _count(paths: list[Path]) -> int:
    return sum(p.read_bytes().count(b"~ST*") for p in paths)


async def _post_all(url: str, files: list[Path]) -> float:
    start = time.perf_counter()
    async with aiohttp.ClientSession() as session:
        for path in files:
            form = aiohttp.FormData()
            form.add_field("input-data", path.read_bytes(), filename=path.name)
            async with session.post(url, data=form) as response:
                await response.text()
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench serve", description=__doc__.splitlines()[0])
    parser.add_argument("--esiids", type=int, default=2000, help="ESI IDs of the market month")
    args = parser.parse_args(argv)
    root = Path(__file__).resolve().parents[1]
    import os

    shm = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
    with tempfile.TemporaryDirectory(dir=shm) as tmp_name:
        tmp = Path(tmp_name)
        scenario = tmp / "month.toml"
        scenario.write_text((root / "scenarios" / "market-month.toml").read_text()
                            .replace("\nesi_ids = 100000\n", f"\nesi_ids = {args.esiids}\n"))
        party = "123456789"
        ports = {"market": _port(), "party": _port()}
        other = {"market": "party", "party": "market"}
        start = time.perf_counter()
        procs = [subprocess.Popen([*CLI, "serve", str(scenario), flag, party, "--transport", "edm", "--exchange",
                                   str(tmp / f"edm-{side}"), "--out", str(tmp / side), "--listen", str(ports[side]),
                                   "--peer", f"http://127.0.0.1:{ports[other[side]]}/edm"],
                                  cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
                 for flag, side in (("--under-test", "market"), ("--as", "party"))]
        errors = [p.communicate()[1] for p in procs]
        wall = time.perf_counter() - start
        if any(p.returncode for p in procs):
            print(errors, file=sys.stderr)
            return 1
        sent = sorted((tmp / "party" / "outbox").rglob("*.x12"))
        inbound = _count(sent)
        answered = _count(sorted((tmp / "market" / "outbox" / party).glob("*.x12")))
        port = _port()
        (tmp / "plain").mkdir()
        plain = subprocess.Popen([sys.executable, "-c", _BASELINE, str(tmp / "plain"), str(port)],
                                 stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        assert plain.stdout is not None
        plain.stdout.readline()
        try:
            base = asyncio.run(_post_all(f"http://127.0.0.1:{port}/edm", sent))
        finally:
            plain.terminate()
            plain.wait(timeout=30)
    result = {"esi_ids": args.esiids, "files_from_party": len(sent), "party_transactions": inbound,
              "market_transactions_to_party": answered, "serve_wall_s": round(wall, 2),
              "serve_inbound_transactions_per_s": round(inbound / wall, 1),
              "baseline_wall_s": round(base, 3), "baseline_transactions_per_s": round(inbound / base, 1),
              "ratio_to_baseline": round(base / wall, 4)}
    print(json.dumps(result, indent=1))
    return 0
