"""``client.runtime`` end to end: engines, selections, extensions, hardware survey."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from lmstudio import (
    Client,
    DownloadableRuntimeEngineExtension,
    DownloadableRuntimeFrameworkExtension,
    DownloadProgressUpdate,
    RuntimeEngineInfo,
    RuntimeEngineSpecifier,
    RuntimeHardwareSurveyResult,
)
from lmstudio.errors import LMStudioCancelledError, LMStudioServerError, LMStudioValueError
from lmstudio.testing import FakeLMStudio

if TYPE_CHECKING:
    from tests.styles import Style

pytest_plugins = ["tests.styles"]  # style, server, client

CUDA = RuntimeEngineSpecifier(name="llama.cpp-linux-x86_64-nvidia-cuda12-avx2", version="1.50.2")
AVX2 = "llama.cpp-linux-x86_64-avx2"


def test_engines_and_selections(style: Style, client: Client, server: FakeLMStudio) -> None:
    async def body() -> None:
        engines = await style.get(client.runtime.list_engines())
        assert all(isinstance(e, RuntimeEngineInfo) for e in engines)
        assert [e.version for e in engines] == ["1.49.0", "1.50.2", "1.50.2"]
        assert engines[2].gpu.framework == "CUDA12"  # type: ignore[union-attr]
        assert await style.get(client.runtime.get_engine_selections()) == {"GGUF": CUDA}
        await style.get(client.runtime.select_engine(engines[1], "GGUF"))
        selected = await style.get(client.runtime.get_engine_selections())
        assert selected == {"GGUF": RuntimeEngineSpecifier(name=AVX2, version="1.50.2")}
        with pytest.raises(LMStudioServerError, match="is selected"):
            await style.get(client.runtime.remove_engine(engines[1]))
        await style.get(client.runtime.remove_engine(AVX2, version="1.49.0"))
        assert len(await style.get(client.runtime.list_engines())) == 2

    style.run(body)
    # superjson's undefined, as LM Studio's TypeScript client sends it
    assert server.calls("runtime/getEngineSelections")[0]["parameter"] == {
        "json": None,
        "meta": {"values": ["undefined"]},
    }
    assert server.calls("runtime/selectEngine")[0]["parameter"] == {
        "engine": {"name": AVX2, "version": "1.50.2"},
        "modelFormatName": "GGUF",
    }
    assert server.calls("runtime/removeEngine")[-1]["parameter"] == {
        "name": AVX2,
        "version": "1.49.0",
    }


def test_engine_arguments_are_checked_before_sending(client: Client, server: FakeLMStudio) -> None:
    with pytest.raises(LMStudioValueError, match="version"):
        client.runtime.remove_engine(AVX2)
    with pytest.raises(LMStudioValueError, match="version"):
        client.runtime.select_engine(CUDA, "GGUF", version="1")
    with pytest.raises(LMStudioValueError, match="not both"):
        client.runtime.survey_hardware([CUDA], all_engines=True)
    assert server.calls() == []


def test_search_and_download_extension(style: Style, client: Client, server: FakeLMStudio) -> None:
    async def body() -> None:
        found = await style.get(client.runtime.search_extensions())
        engine, framework = found
        assert isinstance(engine, DownloadableRuntimeEngineExtension)
        assert isinstance(framework, DownloadableRuntimeFrameworkExtension)
        assert engine.local_versions == []
        seen: list[DownloadProgressUpdate] = []
        stream = client.runtime.download_extension(
            engine.name, engine.version, on_progress=seen.append
        )
        updates = await style.items(stream)
        assert [u.downloaded_bytes * 4 // u.total_bytes for u in updates] == [1, 2, 3, 4]
        assert seen == updates
        assert await style.get(stream) is None
        (again,) = await style.get(client.runtime.search_extensions("vulkan"))
        assert again.local_versions == [engine.version]
        selected = await style.get(client.runtime.get_engine_selections())
        assert selected["GGUF"].name == engine.name
        # a framework installs without touching the selections
        await style.get(client.runtime.download_extension(framework.name, framework.version))
        assert await style.get(client.runtime.get_engine_selections()) == selected

    style.run(body)
    assert server.calls("runtime/searchRuntimeExtensions")[0]["parameter"] == {
        "query": "",
        "includeIncompatible": False,
    }


def test_download_extension_cancel_and_unknown(client: Client, server: FakeLMStudio) -> None:
    with FakeLMStudio(load_time=5.0) as slow, Client(slow.api_host, timeout=20.0) as slow_client:
        stream = slow_client.runtime.download_extension("cuda12-linux-x86_64", "12.4.0")
        stream.cancel()
        with pytest.raises(LMStudioCancelledError):
            stream.result(20.0)
        assert slow.warnings == []
    with pytest.raises(LMStudioServerError, match="No runtime extension"):
        client.runtime.download_extension("nope", "1").result(20.0)


def test_survey_hardware(style: Style, client: Client, server: FakeLMStudio) -> None:
    async def body() -> None:
        survey = await style.get(client.runtime.survey_hardware())
        assert isinstance(survey, RuntimeHardwareSurveyResult)
        assert survey.status == "ok"
        (engine,) = survey.engines
        gpu = engine.hardware_survey.gpu_survey_result.gpu_info[0]
        assert (gpu.name, gpu.integration_type) == ("NVIDIA GeForce RTX 4060", "discrete")
        assert engine.memory_info.vram_capacity == 8 * 1024**3
        assert len((await style.get(client.runtime.survey_hardware(all_engines=True))).engines) == 3
        engines = await style.get(client.runtime.list_engines())
        custom = await style.get(client.runtime.survey_hardware([engines[0]]))
        assert [e.version for e in custom.engines] == ["1.49.0"]

    style.run(body)
    sent = [call.get("parameter") for call in server.calls("runtime/surveyHardware")]
    assert sent[:2] == [None, {"type": "all"}]
    assert sent[2] == {"type": "custom", "engines": [{"name": AVX2, "version": "1.49.0"}]}
