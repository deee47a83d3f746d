"""``python -m sop_xl``: the same as the ``sop-xl`` command."""

import sys

from sop_xl.cli import main

sys.exit(main())
