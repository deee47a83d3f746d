"""Run sop_udfs through xlwings' own server machinery (Office.js custom functions).

xlwings picks its decorators when it is first imported (``XLWINGS_ON_SERVER=true`` selects the
server ones that register ``__xlfunc__``), so this runs in a fresh Python process:
:func:`through_xlwings` sends a list of calls and returns xlwings' function metadata and the
result of each call made through ``xlwings.server.custom_functions_call``.

Arguments are given as Office.js sends them: every argument a 2-D matrix (list of rows), a
missing optional argument as ``None``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

_RUNNER = r"""
import asyncio, json, sys
import xlwings as xw
from xlwings import server
import sop_udfs

calls = json.load(sys.stdin)
meta = server.custom_functions_meta(sop_udfs)
results = []
for name, args in calls:
    data = {"func_name": name, "args": args, "version": xw.__version__, "client": "Office.js",
            "runtime": "1.4", "culture_info_name": "en-US", "date_format": "yyyy-mm-dd"}
    results.append(asyncio.run(server.custom_functions_call(data, sop_udfs)))
json.dump({"meta": meta, "results": results}, sys.stdout, default=str)
"""


def through_xlwings(calls: list[tuple[str, list[Any]]]) -> tuple[dict, list[Any]]:
    """Return (xlwings metadata, [result of each call]) from a server-mode process."""
    env = dict(os.environ, XLWINGS_ON_SERVER="true", XLWINGS_LICENSE_KEY="noncommercial")
    proc = subprocess.run(
        [sys.executable, "-c", _RUNNER],
        input=json.dumps(calls, default=str),
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )
    if proc.returncode != 0:
        raise AssertionError(f"xlwings server run failed:\n{proc.stderr[-3000:]}")
    out = json.loads(proc.stdout)
    return out["meta"], out["results"]


def as_matrix(value: Any) -> list[list[Any]]:
    """A value as Office.js sends it: always a list of rows."""
    if isinstance(value, list):
        return [v if isinstance(v, list) else [v] for v in value]
    return [[value]]
