import os
import sys
from pathlib import Path

from hypothesis import settings

# tests import helpers (xlwings_server) from this folder
sys.path.insert(0, str(Path(__file__).parent))

# Property tests: random examples on a developer's machine, where a new failure is welcome;
# on CI (CI set, as GitHub Actions and most CI services do) the same examples every run, so a
# submission lands or fails on its code, not on the draw. Failures found either way are pinned
# with @example.
if os.environ.get("CI"):
    settings.register_profile("ci", derandomize=True, deadline=None)
    settings.load_profile("ci")
