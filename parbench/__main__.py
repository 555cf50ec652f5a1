"""`python -m parbench`: the same as the `parbench` command."""

import sys

from tui.cli import main

if __name__ == "__main__":
    sys.exit(main())
