"""A newer server's listings (issue 15, point 4): items of a kind this SDK does not know
are skipped with one warning; the rest of the list is returned."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from lmstudio import (
    Client,
    DownloadedEmbeddingModel,
    DownloadedLlm,
    LMStudioUnknownMessageWarning,
)
from lmstudio.testing import FakeLMStudio

pytest_plugins = ["tests.styles"]  # server, client


def test_an_unknown_model_domain_does_not_fail_the_list(
    client: Client, server: FakeLMStudio, caplog: pytest.LogCaptureFixture
) -> None:
    known = client.system.list_downloaded_models().result(10)
    listing = _listing(server)
    image_model = {
        "type": "imageGen",  # in the schema's domain enum; not a kind this SDK wraps
        "modelKey": "flux/schnell",
        "path": "flux/schnell",
        "format": "safetensors",
        "sizeBytes": 1,
    }
    with (
        server.handle_rpc("system/listDownloadedModels", lambda _: [image_model, *listing]),
        caplog.at_level(logging.WARNING, "lmstudio"),
        pytest.warns(LMStudioUnknownMessageWarning, match="skipped 1 of"),  # the official category
    ):
        found = client.system.list_downloaded_models().result(10)
    assert [m.model_key for m in found] == [m.model_key for m in known]
    assert all(isinstance(m, DownloadedLlm | DownloadedEmbeddingModel) for m in found)
    warnings = [r.getMessage() for r in caplog.records if "skipped 1 of" in r.getMessage()]
    assert len(warnings) == 1, [r.getMessage() for r in caplog.records]


def _listing(server: FakeLMStudio) -> list[dict[str, Any]]:
    import json

    from websockets.sync.client import connect

    with connect(f"{server.base_url}/system") as ws:
        ws.send(json.dumps({"authVersion": 1, "clientIdentifier": "guest:t", "clientPasskey": "p"}))
        ws.recv()
        ws.send(json.dumps({"type": "rpcCall", "endpoint": "listDownloadedModels", "callId": 1}))
        answer = json.loads(ws.recv(10))
    result: list[dict[str, Any]] = answer["result"]
    return result
