"""``python -m cmqual``: the same as the ``cmqual`` command."""

import sys

from cmqual.cli import main

sys.exit(main())
