"""Protocol generations (issue 15, point 12): a 2025 server and one newer than the schema.

``lms-2025-08.jsonl`` holds a session as a server of ``../shared/protocol/lms-2025-08.json``
answers it; ``lms-2026.jsonl`` as a server newer than ``lms.json``: a model format
``"yuzu"``, a stop reason and predict and load packet kinds that no schema has, fields
nobody knows (``make_cassettes.py`` wrote both). Each replays through the client with
no error: every call returns, nothing is logged at ERROR, the client warns the server of
nothing, and the newer values come through as they were sent.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

import lmstudio as lms
from lmstudio.testing import FakeLMStudio

from .session import run_session

HERE = Path(__file__).parent


@pytest.mark.parametrize("cassette", ["lms-2025-08.jsonl", "lms-2026.jsonl"])
def test_a_recorded_server_generation_replays_with_no_error(
    cassette: str, caplog: pytest.LogCaptureFixture
) -> None:
    with (
        caplog.at_level(logging.WARNING),
        FakeLMStudio(replay=HERE / cassette, tokens_per_second=None) as server,
        lms.Client(server.api_host, timeout=10) as client,
    ):
        out = run_session(client)
        assert server.replay_misses == []
        assert server.client_warnings == []
        assert server.warnings == []
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert out["respond"].content and out["fragments"]
    assert out["act"] is not None
    assert out["download"] == "fake/hub-chat-3b"
    assert out["load_progress"]
    newer = cassette == "lms-2026.jsonl"
    assert out["version"].version == ("0.9.1" if newer else "0.3.24")
    assert out["respond"].stop_reason == ("yuzuLimitReached" if newer else "eosFound")
    formats = {m.info.format for m in out["downloaded"]} | {out["info"].format}
    assert ("yuzu" in formats) == newer, formats
    skipped = [
        r.getMessage() for r in caplog.records if "does not know that kind" in r.getMessage()
    ]
    assert len(skipped) == (2 if newer else 0), skipped  # yuzuWarmup and yuzuProgress, once each
