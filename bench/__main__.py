"""``python -m bench {edi,engine,scale,check,same-bytes,fuzz,caches,edm,serve} ...``: dispatch to a benchmark (or
check) module."""

from __future__ import annotations

import importlib
import sys

BENCHES = {"edi": "bench.edi_bench", "engine": "bench.engine_bench", "scale": "bench.scale_bench",
           "check": "bench.check_bench", "same-bytes": "bench.same_bytes", "fuzz": "bench.fuzz",
           "caches": "bench.caches",
           "edm": "bench.edm_bench", "serve": "bench.serve_bench", "_rss": "bench.edi_bench"}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in BENCHES:
        print(f"usage: python -m bench {{{','.join(k for k in BENCHES if not k.startswith('_'))}}} [options]",
              file=sys.stderr)
        return 2
    name = argv.pop(0)
    module = importlib.import_module(BENCHES[name])
    if name == "_rss":
        return module.rss_child(argv)
    return module.main(argv)


if __name__ == "__main__":
    sys.exit(main())
