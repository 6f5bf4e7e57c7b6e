"""``python -m lmstudio.plugin PLUGIN_DIR [--dev] [--api-host HOST:PORT] [--debug]``."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from collections.abc import Sequence

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the plugin runner's command line (exit code)."""
    from ..errors import LMStudioError
    from ._runner import describe_failure, run_plugin

    parser = argparse.ArgumentParser(
        prog="python -m lmstudio.plugin", description="Run an LM Studio plugin written in Python"
    )
    parser.add_argument(
        "plugin_dir", metavar="PLUGIN_DIR", help="the plugin folder (manifest.json, src/plugin.py)"
    )
    parser.add_argument(
        "--dev", action="store_true", help="register as a development plugin; reload on changes"
    )
    parser.add_argument(
        "--api-host", default=None, help="LM Studio's host:port (default: find it locally)"
    )
    parser.add_argument("--debug", action="store_true", help="log at DEBUG level")
    args = parser.parse_args(argv)
    # Ctrl-C stops the runner even when started with SIGINT ignored (a background job).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        if args.dev:
            from ._dev import run_dev_plugin

            return run_dev_plugin(args.plugin_dir, api_host=args.api_host, debug=args.debug)
        run_plugin(args.plugin_dir, api_host=args.api_host)
    except KeyboardInterrupt:
        return 0
    except LMStudioError as exc:
        print(describe_failure(exc), file=sys.stderr, flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
