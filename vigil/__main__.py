"""`python -m vigil` runs the command line."""

import sys

from vigil.cli import main

sys.exit(main())
