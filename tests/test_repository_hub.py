"""``client.repository``'s hub account and catalog end to end against the fake hub."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from msgspec import UNSET

from lmstudio import (
    Client,
    HubModel,
    HubModelMetadataEmbedding,
    HubModelMetadataLlm,
    LocalArtifactFileList,
    LoggedInUserAuthenticationStatus,
    NoAuthenticationStatus,
    StaffPick,
)
from lmstudio.errors import LMStudioServerError, LMStudioValueError
from lmstudio.testing import FakeLMStudio
from lmstudio.testing._endpoints.hub import STAFF_PICKED_AT

if TYPE_CHECKING:
    from tests.styles import Style

pytest_plugins = ["tests.styles"]  # style, server, client


def test_model_catalog(style: Style, client: Client) -> None:
    async def body() -> None:
        models = await style.get(client.repository.get_model_catalog())
        assert all(isinstance(m, HubModel) for m in models)
        first, second = models[:2]
        assert (first.owner, first.name, first.staff_picked_at) == (
            "fake",
            "hub-chat-3b",
            STAFF_PICKED_AT,
        )
        assert isinstance(first.metadata, HubModelMetadataLlm)
        assert first.metadata.architectures == ["llama"] and first.metadata.context_lengths == [
            8192
        ]
        assert isinstance(second.metadata, HubModelMetadataEmbedding)
        assert any(m.staff_picked_at is UNSET for m in models[2:])  # the downloaded ones

    style.run(body)


def test_staff_picks(style: Style, client: Client, server: FakeLMStudio) -> None:
    async def body() -> None:
        picks = await style.get(client.repository.fuzzy_find_staff_picks())
        assert all(isinstance(p, StaffPick) for p in picks)
        assert [p.name for p in picks] == ["hub-chat-3b", "hub-embed-small"]
        found = await style.get(client.repository.fuzzy_find_staff_picks("embed", limit=1))
        assert [(p.owner, p.name, p.exact) for p in found] == [("fake", "hub-embed-small", False)]
        exact = await style.get(client.repository.fuzzy_find_staff_picks("hub-chat-3b"))
        assert [p.exact for p in exact] == [True]
        none = await style.get(
            client.repository.fuzzy_find_staff_picks(compatibility_types=["safetensors"])
        )
        assert none == []

    style.run(body)
    sent = [c.get("parameter") for c in server.calls() if c["endpoint"] == "fuzzyFindStaffPicks"]
    assert sent == [
        {},
        {"searchTerm": "embed", "limit": 1},
        {"searchTerm": "hub-chat-3b"},
        {"compatibilityTypes": ["safetensors"]},
    ]
    with pytest.raises(LMStudioValueError, match="limit"):
        client.repository.fuzzy_find_staff_picks(limit=0)


def test_authentication(style: Style, client: Client, server: FakeLMStudio) -> None:
    async def body() -> None:
        assert await style.get(client.repository.is_authenticated()) is False
        assert isinstance(
            await style.get(client.repository.get_authentication_status()), NoAuthenticationStatus
        )
        with pytest.raises(LMStudioServerError, match="Not logged in"):
            await style.get(client.repository.get_writable_artifact_owners())
        server.hub_user = "alice"
        assert await style.get(client.repository.is_authenticated()) is True
        status = await style.get(client.repository.get_authentication_status())
        assert status == LoggedInUserAuthenticationStatus(user_name="alice")
        assert await style.get(client.repository.get_writable_artifact_owners()) == ["alice"]
        assert await style.get(client.repository.deauthenticate()) is None
        assert server.hub_user is None
        assert await style.get(client.repository.is_authenticated()) is False

    style.run(body)


def test_local_artifact_files(style: Style, client: Client, tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "manifest.json").write_text("{}")
    (tmp_path / "src" / "index.ts").write_text("export {};")
    (tmp_path / "debug.log").write_text("noise")
    (tmp_path / ".lmsignore").write_text("*.log\n")

    async def body() -> None:
        listing = await style.get(client.repository.get_local_artifact_files(str(tmp_path)))
        assert isinstance(listing, LocalArtifactFileList)
        assert [(f.relative_path, f.size_bytes) for f in listing.files] == [
            ("manifest.json", 2),
            ("src/index.ts", 10),
        ]
        assert listing.used_ignore_file == str(tmp_path / ".lmsignore")
        with pytest.raises(LMStudioServerError, match="not a directory"):
            await style.get(client.repository.get_local_artifact_files(str(tmp_path / "nowhere")))

    style.run(body)
