"""``python -m benchmarks``: run the latency benchmark (see ``benchmarks/latency.py``)."""

from __future__ import annotations

import sys

from benchmarks.latency import main

sys.exit(main())
