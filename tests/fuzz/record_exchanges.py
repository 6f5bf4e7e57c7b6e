"""Write ``exchanges.jsonl`` (run by hand: ``python -m tests.fuzz.record_exchanges``).

It records, through :class:`lmstudio.testing.RecordingProxy`, a session against
:class:`lmstudio.testing.FakeLMStudio`: listings, a model loaded with progress,
predictions (one with a tool call), a JIT load, a failed one, an rpc error and a download.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import lmstudio as lms
from lmstudio.testing import FakeLMStudio, RecordingProxy

HERE = Path(__file__).parent


def add(a: int, b: int) -> int:
    """Add.

    Args:
        a: the first number.
        b: the second.

    Returns:
        Their sum.
    """
    return a + b


def main() -> None:
    """Record the session into ``exchanges.jsonl``."""
    out = HERE / "exchanges.jsonl"
    with (
        FakeLMStudio(tokens_per_second=None, load_time=0.05) as server,
        RecordingProxy(out, upstream=server.api_host) as proxy,
        lms.Client(proxy.api_host, timeout=10) as client,
    ):
        client.llm.list_loaded().result(10)
        client.system.version().result(10)
        model = client.llm.load_new_instance("fake/chat", on_load_progress=lambda _: None)
        model.result(10).respond("count to 3").result(10)
        client.llm.model("fake/tools").result(10).act("add 1 and 2", [add]).result(10)
        for failing in (client.llm.model("no/such-model"), client.llm.unload("no/such-instance")):
            with contextlib.suppress(lms.LMStudioError):
                failing.result(10)
        (found,) = client.repository.search_models("hub-chat").result(10)
        found.get_download_options().result(10)[0].download().result(10)
        client.llm.list_loaded().result(10)
    lines = out.read_text().splitlines()
    lines[0] = json.dumps({**json.loads(lines[0]), "upstream": "fake"}, separators=(",", ":"))
    out.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
