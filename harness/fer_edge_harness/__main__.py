"""`python3 -m fer_edge_harness --bundle DIR --device-label LABEL`: the board suite (cli.py)."""

import sys

from fer_edge_harness.cli import main

if __name__ == "__main__":
    sys.exit(main())
