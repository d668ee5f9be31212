"""``python -m bench``: run every benchmark and print its table."""

from __future__ import annotations

import importlib

BENCHES = ["bench.xmldsig", "bench.revocation", "bench.sim_load", "bench.tui"]


def main() -> None:
    for name in BENCHES:
        print(f"== {name}")
        importlib.import_module(name).main([])
        print()


if __name__ == "__main__":
    main()
