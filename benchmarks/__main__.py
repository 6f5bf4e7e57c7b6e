"""``python -m benchmarks`` (``make bench``): see ``benchmarks/harness.py``."""

from __future__ import annotations

import sys

from benchmarks.harness import main

sys.exit(main())
