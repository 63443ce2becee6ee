"""``python -m bench edm``: EDM posts per second into ``ercot-sim edm serve`` on loopback, against a
plain POST-and-store server of the same library (aiohttp) in the same run.

Both servers run as their own processes; the bench process posts the same X12 file (a
market-month interchange from a CR to ERCOT) ``--posts`` times, ``--concurrency`` at a time,
each post a different file (a counter in a trailing line keeps the bytes distinct, so the
receiver stores every one). Rounds alternate between the two servers; the best round of each
is kept. The receiver does what the baseline does (read the multipart stream, write the file)
plus the EDM checks, the SQLite row (WAL, synchronous) and the receipt.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

__all__ = ["main"]

ERCOT, CR = "183529049", "123456789"

_BASELINE = r'''
import os, sys
from aiohttp import web
folder = sys.argv[1]
n = 0
async def post(request):
    global n
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        if part.name == "input-data":
            n += 1
            with open(os.path.join(folder, f"{n}.x12"), "wb") as out:
                while chunk := await part.read_chunk(1 << 16):
                    out.write(chunk)
        else:
            await part.read()
    return web.Response(text="request-status=ok*\r\n")
app = web.Application()
app.router.add_post("/edm", post)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[2]), print=lambda *_: print("listening", flush=True))
'''


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(kind: str, folder: Path, port: int) -> subprocess.Popen[str]:
    if kind == "baseline":
        folder.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-c", _BASELINE, str(folder), str(port)]
    else:
        folder.parent.mkdir(parents=True, exist_ok=True)
        config = folder.parent / "edm.toml"
        config.write_text(f'[edm]\nduns = "{ERCOT}"\nserver_id = "bench"\n\n[[partner]]\nduns = "{CR}"\n'
                          'login = "cr"\npassword = "pw"\n')
        cmd = [sys.executable, "-m", "ercot_sim", "edm", "serve", str(folder), "--config", str(config),
               "--port", str(port)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    proc.stdout.readline()
    return proc


async def _round(url: str, data: bytes, posts: int, concurrency: int) -> float:
    fields = [("from", CR), ("to", ERCOT), ("version", "1.6"), ("receipt-disposition-to", CR),
              ("receipt-report-type", "gisb-acknowledgement-receipt"), ("input-format", "X12")]
    queue = list(range(posts))
    auth = aiohttp.BasicAuth("cr", "pw")

    async def worker(session: aiohttp.ClientSession) -> None:
        while queue:
            i = queue.pop()
            form = aiohttp.FormData()
            for name, value in fields:
                form.add_field(name, value)
            form.add_field("input-data", data + f"\n{i}\n".encode(), filename=f"{i}.x12")
            async with session.post(url, data=form) as response:
                body = await response.text()
                assert "request-status=ok" in body, body[:200]

    start = time.perf_counter()
    async with aiohttp.ClientSession(auth=auth) as session:
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
    return time.perf_counter() - start


def _sample() -> tuple[bytes, int]:
    """The largest file a market month of 2,000 ESI IDs sends ERCOT (a TDSP's day of cycle
    reads), and its transaction count."""
    from edi.x12 import iter_transactions
    from ercot_sim.market.engine import run_scenario
    from ercot_sim.scenario import load_scenario

    out = Path(tempfile.mkdtemp()) / "run"
    scenario = load_scenario(Path("scenarios/market-month.toml"))
    population = scenario.population.model_copy(update={"esi_ids": 2000})
    run_scenario(scenario.model_copy(update={"population": population}), out)
    path = max((out / "outbox" / ERCOT).glob("*.x12"), key=lambda p: p.stat().st_size)
    return path.read_bytes(), sum(1 for _ in iter_transactions(path))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench edm", description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=400, help="posts per round")
    parser.add_argument("--concurrency", type=int, default=4, help="posts in flight at once")
    parser.add_argument("--repeat", type=int, default=3, help="rounds per server, alternating; the best is kept")
    args = parser.parse_args(argv)
    data, txns = _sample()
    best: dict[str, float] = {}
    with tempfile.TemporaryDirectory(dir="/dev/shm" if os.access("/dev/shm", os.W_OK) else None) as tmp:
        for r in range(args.repeat):
            for kind in ("baseline", "edm"):
                port = _port()
                proc = _start(kind, Path(tmp) / f"{kind}{r}" / "srv", port)
                try:
                    took = asyncio.run(_round(f"http://127.0.0.1:{port}/edm", data, args.posts, args.concurrency))
                finally:
                    proc.terminate()
                    proc.wait(timeout=30)
                best[kind] = min(best.get(kind, float("inf")), took)
    result = {
        "posts": args.posts, "concurrency": args.concurrency, "file_bytes": len(data), "transactions_per_file": txns,
        "edm_posts_per_s": round(args.posts / best["edm"], 1),
        "baseline_posts_per_s": round(args.posts / best["baseline"], 1),
        "edm_transactions_per_s": round(args.posts * txns / best["edm"]),
        "ratio_to_baseline": round(best["baseline"] / best["edm"], 3),
    }
    print(json.dumps(result, indent=1))
    return 0
