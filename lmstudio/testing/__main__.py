"""``python -m lmstudio.testing``: run the fake LM Studio server until Ctrl-C.

    python -m lmstudio.testing --port 1234 --catalog models.json
    python -m lmstudio.testing --record session.jsonl --upstream localhost:1234
    python -m lmstudio.testing --replay session.jsonl

The first line printed on stdout is ``Fake LM Studio listening on HOST:PORT``; Ctrl-C
(or SIGTERM) stops the server cleanly with exit status 0.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Sequence

from lmstudio.testing._record import RecordingProxy
from lmstudio.testing._server import DEFAULT_TOKENS_PER_SECOND, FakeLMStudio


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m lmstudio.testing",
        description="A fake LM Studio server speaking the native WebSocket protocol.",
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)"
    )
    parser.add_argument("--port", type=int, default=0, help="TCP port (default 0: pick a free one)")
    parser.add_argument("--catalog", metavar="FILE", help="JSON catalog of the downloaded models")
    parser.add_argument(
        "--api-token",
        action="append",
        dest="api_tokens",
        metavar="TOKEN",
        help="require this API token (sk-lm-XXXXXXXX:YYYYYYYYYYYYYYYYYYYY); repeatable",
    )
    speed = parser.add_mutually_exclusive_group()
    speed.add_argument(
        "--tokens-per-second",
        "--fragments-per-second",
        type=float,
        metavar="N",
        help=f"generation pace (default {DEFAULT_TOKENS_PER_SECOND:g}; 0: unlimited)",
    )
    speed.add_argument(
        "--fragment-delay",
        type=float,
        metavar="SECONDS",
        help="the pace as a pause between prediction fragments (0: unlimited)",
    )
    speed.add_argument(
        "--unlimited", action="store_true", help="stream as fast as possible (benchmarks)"
    )
    parser.add_argument(
        "--load-time",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="duration of a model load or download",
    )
    parser.add_argument(
        "--answer-invalid",
        action="store_true",
        help="answer malformed calls with an error instead of only a communicationWarning",
    )
    parser.add_argument(
        "--record",
        metavar="FILE",
        help="proxy every namespace to --upstream (a real LM Studio), recording a cassette",
    )
    parser.add_argument("--upstream", metavar="HOST:PORT", help="the LM Studio to record")
    parser.add_argument(
        "--replay", metavar="FILE", help="answer from a recorded cassette instead of fake models"
    )
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="log more (-v info, -vv debug)"
    )
    return parser


async def _serve(server: FakeLMStudio | RecordingProxy, what: str = "") -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        # Windows has no signal handlers in asyncio: Ctrl-C raises KeyboardInterrupt there.
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stop.set)
    async with server:
        print(f"Fake LM Studio{what} listening on {server.api_host}", flush=True)
        await stop.wait()


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    rate: float | None = DEFAULT_TOKENS_PER_SECOND
    if args.unlimited:
        rate = None
    elif args.tokens_per_second is not None:
        if args.tokens_per_second < 0:
            parser.error("--tokens-per-second must be >= 0")
        rate = args.tokens_per_second or None
    elif args.fragment_delay is not None:
        if args.fragment_delay < 0:
            parser.error("--fragment-delay must be >= 0")
        rate = 1 / args.fragment_delay if args.fragment_delay else None
    level = (
        logging.WARNING
        if args.verbose == 0
        else logging.INFO
        if args.verbose == 1
        else logging.DEBUG
    )
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if (args.record is None) != (args.upstream is None):
        parser.error("--record FILE and --upstream HOST:PORT go together")
    if args.record is not None and args.replay is not None:
        parser.error("--record and --replay exclude each other")
    try:
        if args.record is not None:
            proxy = RecordingProxy(
                args.record, upstream=args.upstream, host=args.host, port=args.port
            )
            asyncio.run(_serve(proxy, f" (recording {args.upstream} to {args.record})"))
            print("Fake LM Studio stopped", file=sys.stderr)
            return 0
        server = FakeLMStudio(
            host=args.host,
            port=args.port,
            catalog=args.catalog,
            api_tokens=args.api_tokens,
            tokens_per_second=rate,
            load_time=args.load_time,
            answer_invalid=args.answer_invalid,
            replay=args.replay,
        )
        what = f" (replaying {args.replay})" if args.replay else ""
        asyncio.run(_serve(server, what))
    except KeyboardInterrupt:
        pass
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print("Fake LM Studio stopped", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
