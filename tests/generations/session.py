"""The client session that the protocol-generation cassettes hold (issue 15, point 12).

:func:`run_session` is what ``make_cassettes.py`` recorded from the fake server and what
``test_generations.py`` replays: the same calls, so every request matches its recording.
"""

from __future__ import annotations

from typing import Any

import lmstudio as lms

__all__ = ["run_session"]


def add(a: int, b: int) -> int:
    """Add two numbers.

    Args:
        a: the first.
        b: the second.

    Returns:
        Their sum.
    """
    return a + b


def run_session(client: lms.Client) -> dict[str, Any]:
    """Version, listings, a load with progress, predictions (one with a tool call), a download.

    Args:
        client: a client of the server to record or to replay.

    Returns:
        What the calls returned, by name.
    """
    out: dict[str, Any] = {}
    out["version"] = client.system.version().result(10)
    out["loaded"] = client.llm.list_loaded().result(10)
    out["downloaded"] = client.system.list_downloaded_models().result(10)
    progress: list[float] = []
    model = client.llm.load_new_instance("fake/chat", on_load_progress=progress.append).result(10)
    out["load_progress"] = progress
    out["info"] = model.get_info().result(10)
    out["respond"] = model.respond("count to 3").result(10)
    out["fragments"] = [f.content for f in model.respond_stream("count to 2")]
    tools = client.llm.model("fake/tools").result(10)
    out["act"] = tools.act("add 1 and 2", [add]).result(10)
    (found,) = client.repository.search_models("hub-chat").result(10)
    option = found.get_download_options().result(10)[0]
    out["download"] = option.download().result(10)
    return out
