"""``client.repository``'s hub login, artifacts and download plans end to end against the
fake hub."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from lmstudio import (
    ArtifactDownloadPlan,
    AuthenticationCode,
    Client,
    ComputeDeviceAuthenticationStatus,
    DownloadPlanStream,
    DownloadProgressUpdate,
    LoggedInUserAuthenticationStatus,
)
from lmstudio.errors import LMStudioCancelledError, LMStudioServerError, LMStudioValueError
from lmstudio.testing import FakeLMStudio

if TYPE_CHECKING:
    from tests.styles import Style

pytest_plugins = ["tests.styles"]  # style, server, client


# --- logging in ---------------------------------------------------------------------


def test_ensure_authenticated(style: Style, client: Client, server: FakeLMStudio) -> None:
    seen: list[AuthenticationCode] = []

    async def body() -> None:
        login = client.repository.ensure_authenticated(seen.append)
        codes = [code async for code in style.iterate(login)]
        assert await style.get(login) is None
        assert [c.code for c in codes] == ["FAKE-1234"]
        assert codes[0].filled_url.endswith("?code=FAKE-1234")
        status = await style.get(client.repository.get_authentication_status())
        assert status == LoggedInUserAuthenticationStatus(user_name="fake-user")
        again = [c async for c in style.iterate(client.repository.ensure_authenticated())]
        assert again == []  # logged in already: no code

    style.run(body)
    assert [c.code for c in seen] == ["FAKE-1234"]


def test_login_with_keys_and_as_a_compute_device(
    style: Style, client: Client, server: FakeLMStudio
) -> None:
    async def body() -> None:
        repo = client.repository
        user = await style.get(repo.login_with_pre_authenticated_keys("k1", "pub", "priv"))
        assert user == LoggedInUserAuthenticationStatus(user_name="fake-user")
        device = await style.get(repo.login_as_compute_device("fake-device-token-org-acme"))
        assert device == ComputeDeviceAuthenticationStatus(
            owner_username="org-acme", owner_is_organization=True
        )
        assert await style.get(repo.get_authentication_status()) == device
        assert await style.get(repo.get_writable_artifact_owners()) == ["org-acme"]
        with pytest.raises(LMStudioServerError, match="Invalid compute device token"):
            await style.get(repo.login_as_compute_device("nope"))
        await style.get(repo.deauthenticate())
        assert not await style.get(repo.is_authenticated())

    style.run(body)
    assert server.calls("loginWithPreAuthenticatedKeys")[0]["parameter"] == {
        "keyId": "k1",
        "publicKey": "pub",
        "privateKey": "priv",
    }
    with pytest.raises(LMStudioValueError):
        client.repository.login_with_pre_authenticated_keys("k", "", "p")
    with pytest.raises(LMStudioValueError):
        client.repository.login_as_compute_device("")


# --- artifacts ----------------------------------------------------------------------


def test_download_artifact(style: Style, client: Client, tmp_path: Path) -> None:
    finalized: list[bool] = []

    async def body() -> None:
        target = tmp_path / "dice"
        download = client.repository.download_artifact(
            "lmstudio/dice", None, str(target), on_finalize=lambda: finalized.append(True)
        )
        updates = [u async for u in style.iterate(download)]
        assert all(isinstance(u, DownloadProgressUpdate) for u in updates)
        assert updates[-1].downloaded_bytes == updates[-1].total_bytes > 0
        assert await style.get(download) is None
        assert json.loads((target / "manifest.json").read_text())["name"] == "dice"
        assert (target / "src" / "index.ts").exists()
        with pytest.raises(LMStudioServerError, match="Revision 9"):
            await style.get(client.repository.download_artifact("lmstudio/dice", 9, str(target)))
        with pytest.raises(LMStudioServerError, match="not found"):
            await style.get(client.repository.download_artifact("nobody/none", 1, str(target)))

    style.run(body)
    assert finalized == [True]
    for bad in ("dice", "a/b/c", "/x"):
        with pytest.raises(LMStudioValueError, match="owner/name"):
            client.repository.download_artifact(bad, None, "/tmp")


def _plugin_folder(root: Path, owner: str) -> Path:
    root.mkdir()
    manifest = {"type": "plugin", "runner": "node", "owner": owner, "name": "my-plugin"}
    (root / "manifest.json").write_text(json.dumps(manifest))
    (root / "index.ts").write_text("export {}\n")
    return root


def test_push_artifact(style: Style, client: Client, server: FakeLMStudio, tmp_path: Path) -> None:
    folder = _plugin_folder(tmp_path / "plugin", "alice")
    lines: list[str] = []

    async def body() -> None:
        with pytest.raises(LMStudioServerError, match="Not logged in"):
            await style.get(client.repository.push_artifact(str(folder)))
        server.hub_user = "alice"
        push = client.repository.push_artifact(
            str(folder), description="Mine", write_revision=True, on_message=lines.append
        )
        messages = [m async for m in style.iterate(push)]
        assert await style.get(push) is None
        assert messages == ["Packing 2 files", "Uploading alice/my-plugin", lines[-1]]
        assert messages[-1] == "Published alice/my-plugin revision 1"
        assert json.loads((folder / "manifest.json").read_text())["revision"] == 1
        # what was published downloads again
        back = tmp_path / "back"
        await style.get(client.repository.download_artifact("alice/my-plugin", 1, str(back)))
        assert (back / "index.ts").read_text() == "export {}\n"

    style.run(body)
    assert server.calls("pushArtifact")[-1]["creationParameter"] == {
        "path": str(folder),
        "description": "Mine",
        "writeRevision": True,
    }


def test_install_local_plugin_and_dependencies(
    style: Style, client: Client, server: FakeLMStudio, tmp_path: Path
) -> None:
    folder = _plugin_folder(tmp_path / "plugin", "alice")

    async def body() -> None:
        assert await style.get(client.repository.install_plugin_dependencies(str(folder))) is None
        assert await style.get(client.repository.install_local_plugin(str(folder))) is None
        with pytest.raises(LMStudioServerError, match="manifest"):
            await style.get(client.repository.install_local_plugin(str(tmp_path)))

    style.run(body)
    assert server.calls("installLocalPlugin")[0]["parameter"] == {"pluginPath": str(folder)}
    assert server.calls("installPluginDependencies")[0]["parameter"] == {
        "pluginFolder": str(folder)
    }


# --- download plans -----------------------------------------------------------------


def test_plan_then_download_a_model(style: Style, client: Client, server: FakeLMStudio) -> None:
    async def body() -> None:
        planning = client.repository.create_download_plan(
            "fake/hub-chat-3b", quantizations=["Q8_0"]
        )
        assert isinstance(planning, DownloadPlanStream)
        items: list[Any] = []
        selected = False
        async for item in style.iterate(planning):
            items.append(item)
            if not isinstance(item, ArtifactDownloadPlan) or not planning.ready:
                continue
            if item.version == 1 and not selected:
                planning.select_download_option(1, 1)  # the second option, Q8_0
                selected = True
            elif item.version == 2 and not planning.committed:
                planning.commit()
        final = await style.get(planning)
        assert isinstance(final, ArtifactDownloadPlan)
        plans = [i for i in items if isinstance(i, ArtifactDownloadPlan)]
        assert [p.version for p in plans] == [0, 1, 2, 2]
        assert plans[0].nodes[0].state == "pending"
        model_node = final.nodes[1]
        assert model_node.selected_download_option_index == 1
        assert final.download_size_bytes == model_node.download_options[1].size_bytes
        progress = [i for i in items if isinstance(i, DownloadProgressUpdate)]
        assert progress[-1].downloaded_bytes == progress[-1].total_bytes
        keys = [m.model_key for m in await style.get(client.llm.list_downloaded())]
        assert "fake/hub-chat-3b" in keys

    style.run(body)
    sent = [
        r.message["message"]
        for r in server.received
        if r.message.get("type") == "channelSend" and r.namespace == "repository"
    ]
    assert sent == [
        {
            "type": "setSelectedDownloadOptionIndex",
            "nodeIndex": 1,
            "selectedDownloadOptionIndex": 1,
            "requestedPlanVersion": 2,
        },
        {"type": "commit"},
    ]
    creation = server.calls("createDownloadPlan")[0]["creationParameter"]
    assert creation == {
        "target": {"type": "artifact", "owner": "fake", "name": "hub-chat-3b"},
        "opts": {"resolutionPreference": [{"type": "quantName", "quantName": "Q8_0"}]},
    }


def test_cancel_a_plan(style: Style, client: Client, server: FakeLMStudio) -> None:
    async def body() -> None:
        planning = client.repository.create_download_plan(huggingface="fake/hub-embed-small")
        with pytest.raises(LMStudioValueError, match="not ready"):
            planning.commit()  # nothing received yet
        async for _ in style.iterate(planning):
            if planning.ready:
                assert planning.plan is not None
                assert len(planning.plan.nodes) == 1  # a Hugging Face source: the model node
                planning.cancel_plan()
        with pytest.raises(LMStudioCancelledError):
            await style.get(planning)
        assert planning.cancelled()

    style.run(body)


def test_plan_arguments_are_checked(client: Client) -> None:
    with pytest.raises(LMStudioValueError, match="either"):
        client.repository.create_download_plan()
    with pytest.raises(LMStudioValueError, match="either"):
        client.repository.create_download_plan("a/b", huggingface="c/d")
    with pytest.raises(LMStudioValueError, match="quantization"):
        client.repository.create_download_plan("a/b", quantizations=[""])


def test_cancel_a_committed_download() -> None:
    with FakeLMStudio(load_time=5.0) as slow, Client(slow.api_host, timeout=20) as client:
        planning = client.repository.create_download_plan("fake/hub-chat-3b")
        for item in planning:
            if planning.ready and not planning.committed:
                planning.commit()
            if isinstance(item, DownloadProgressUpdate):
                break
            if planning.committed:
                assert planning.cancel()
                break
        with pytest.raises((LMStudioCancelledError, LMStudioServerError)):
            planning.result(20)
        keys = [m.model_key for m in client.llm.list_downloaded().result(20)]
        assert "fake/hub-chat-3b" not in keys
        sent = [
            r.message["message"]["type"]
            for r in slow.received
            if r.message.get("type") == "channelSend" and r.namespace == "repository"
        ]
        assert sent[:2] == ["commit", "cancelDownload"]
