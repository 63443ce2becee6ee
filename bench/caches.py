"""``python -m bench caches``: what each hot-path value cache saves, against the same work uncached.

Each row times the cached call on the values a market month repeats (dates, kWh values,
codes) and the computation it stands for, in the same process, interleaved, best of
``--repeat``; the ratio is uncached / cached (how many times the cache is faster). The
inventory of every module-level cache, with these figures, is in docs/performance.md (a test
keeps the inventory complete: tests/test_caches.py).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import timeit
from collections.abc import Callable

__all__ = ["main"]


def _cases() -> dict[str, tuple[Callable[[], object], Callable[[], object]]]:
    """name -> (cached call, uncached computation), each over the same 1,000 inputs."""
    from edi import datatypes
    from edi.texas_set.payloads import Party, Payload814, payload_class
    from edi.texas_set.types import format_date
    from ercot_sim.market import tariff
    from ercot_sim.output import emit, templates

    days = [dt.date(2025, 3, 1) + dt.timedelta(days=i % 60) for i in range(1000)]
    texts = [format_date(d) for d in days]
    kwhs = [300 + (i * 37) % 1500 for i in range(1000)]

    def date_text_uncached() -> None:
        for d in days:
            iso = d.isoformat()
            _ = iso[0:4] + iso[5:7] + iso[8:10]

    def delivery_uncached() -> None:
        cache = tariff._DELIVERY
        for k in kwhs:
            cache.pop(k, None)
            tariff.delivery_charges(k)

    lines = [tariff.delivery_charges(k) for k in kwhs]

    def lines_uncached() -> None:
        for charges in lines:
            templates._LINES.pop(id(charges), None)
            templates._charge_lines(charges)

    def send_dates_uncached() -> None:
        for t in texts:
            _ = dt.date(int(t[:4]), int(t[4:6]), int(t[6:8]))

    def date_check_uncached() -> None:
        for t in texts:
            datatypes._DATE_CACHE.pop(t, None)
            datatypes.is_valid_date(t)

    p = Payload814(tdsp=Party("ONCOR", "1039940674000"), cr=Party("ACME", "123456789"),
                   scheduled_date=dt.date(2025, 3, 5))

    def plans_uncached() -> None:
        from edi.texas_set import payloads

        for _ in range(1000):
            payloads._PLANS.clear()
            p.problem("814_04")

    assert payload_class("814_04") is Payload814
    return {
        "date text (edi.texas_set.types._DATE_CACHE)": (lambda: [format_date(d) for d in days], date_text_uncached),
        "delivery lines per kWh (ercot_sim.market.tariff._DELIVERY)": (
            lambda: [tariff.delivery_charges(k) for k in kwhs], delivery_uncached),
        "810 template lines (ercot_sim.output.templates._LINES)": (
            lambda: [templates._charge_lines(c) for c in lines], lines_uncached),
        "send dates (ercot_sim.output.emit._DATES)": (lambda: [emit._day(t) for t in texts], send_dates_uncached),
        "date validity (edi.datatypes._DATE_CACHE)": (
            lambda: [datatypes.is_valid_date(t) for t in texts], date_check_uncached),
        "payload check plans (edi.texas_set.payloads._PLANS)": (
            lambda: [p.problem("814_04") for _ in range(1000)], plans_uncached),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench caches", description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="interleaved rounds; the best of each is kept")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    rows = []
    for name, (cached, uncached) in _cases().items():
        cached()  # warm
        best_c = best_u = float("inf")
        for _ in range(args.repeat):
            best_c = min(best_c, timeit.timeit(cached, number=20) / 20)
            best_u = min(best_u, timeit.timeit(uncached, number=20) / 20)
            cached()  # refill what the uncached run emptied
        rows.append({"cache": name, "cached_us_per_1000": round(best_c * 1e6, 1),
                     "uncached_us_per_1000": round(best_u * 1e6, 1), "ratio": round(best_u / best_c, 2)})
    if args.json:
        json.dump({"caches": rows}, sys.stdout, indent=1)
        print()
    else:
        for r in rows:
            print(f"{r['ratio']:6.2f} x  {r['cached_us_per_1000']:8.1f} us / 1,000 cached  {r['cache']}")
    return 0
