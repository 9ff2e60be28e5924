"""``python -m nb102.run script.py ARGS…`` or ``python -m nb102.run -m module ARGS…``: runs a script written for
``nats_bench`` or ``nas_201_api`` unchanged, on nb102, as ``python`` itself would run it (``python -m nb102.run -m
pytest tests/`` runs a test suite).
"""

from __future__ import annotations

import os
import runpy
import sys
from typing import List, Optional

from ._aliases import PACKAGES, install_as

USAGE = "usage: python -m nb102.run SCRIPT.py [ARGS...] | -m MODULE [ARGS...]"


def main(argv: Optional[List[str]] = None) -> None:
    """Serves the reference packages' names with nb102, then runs the script or module of ``argv``."""
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE, file=sys.stdout if argv else sys.stderr)
        raise SystemExit(0 if argv else 2)
    for name in PACKAGES:
        install_as(name)
    if argv[0] == "-m":
        if len(argv) < 2:
            print("nb102.run: expected a module after -m, found none ({:})".format(USAGE), file=sys.stderr)
            raise SystemExit(2)
        # As `python -m`: the module's file becomes argv[0], the current folder stays first on the path.
        sys.argv = argv[1:]
        runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
    else:
        script = argv[0]
        if not os.path.isfile(script):
            print("nb102.run: expected a script file, found no file {!r} ({:})".format(script, USAGE), file=sys.stderr)
            raise SystemExit(2)
        # As `python script.py`: the script's folder first on the path.
        sys.argv = argv
        sys.path[0] = os.path.dirname(os.path.abspath(script))
        runpy.run_path(script, run_name="__main__")


if __name__ == "__main__":
    main()
