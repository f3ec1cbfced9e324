"""Environment for the Node.js process that jsii starts under every synth (no jsii import here).

jsii prints an end-of-life banner on every run under Node.js 20; the README says so once, and the
banner would bury real synth errors. main.py, the tests and the benchmark all synthesize with this.
Set the variable yourself to see the banner again.
"""

from __future__ import annotations

from typing import Final

JSII_QUIET_ENV: Final = {"JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}
