"""The command line ``sleeper-pg`` from the Python package: ``python -m sleeper_pg tables``, or the
``sleeper-pg`` console script. The same program as the Rust binary, run inside the native module."""

from __future__ import annotations

import signal
import sys

from sleeper_pg._native import _run_cli


def main() -> int:
    # Ctrl-C ends the command at once, as it ends the binary: Python's own handler would run only
    # once the native call had returned.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    return _run_cli(["sleeper-pg", *sys.argv[1:]])


if __name__ == "__main__":
    sys.exit(main())
