"""``runtime`` endpoints of the fake, judged by the strict schema (``wire.py``)."""

from __future__ import annotations

from typing import Any

import pytest

from lmstudio.testing import FakeLMStudio

CUDA = {"name": "llama.cpp-linux-x86_64-nvidia-cuda12-avx2", "version": "1.50.2"}
AVX2 = {"name": "llama.cpp-linux-x86_64-avx2", "version": "1.50.2"}
UNDEFINED = {"json": None, "meta": {"values": ["undefined"]}}


@pytest.fixture
def runtime(server: FakeLMStudio, connect_to: Any) -> Any:
    return connect_to(server, "runtime")


def test_engines_and_selections(server: FakeLMStudio, runtime: Any) -> None:
    engines = runtime.result("listEngines")
    assert [(e["name"], e["version"]) for e in engines] == [
        ("llama.cpp-linux-x86_64-avx2", "1.49.0"),
        (AVX2["name"], "1.50.2"),
        (CUDA["name"], "1.50.2"),
    ]
    assert runtime.result("getEngineSelections", UNDEFINED)["json"] == [["GGUF", CUDA]]
    runtime.result("selectEngine", {"engine": AVX2, "modelFormatName": "GGUF"})
    assert runtime.result("getEngineSelections", UNDEFINED)["json"] == [["GGUF", AVX2]]
    assert (
        "does not support"
        in runtime.error("selectEngine", {"engine": AVX2, "modelFormatName": "MLX"})["title"]
    )
    assert "is selected" in runtime.error("removeEngine", AVX2)["title"]
    runtime.result("removeEngine", {"name": AVX2["name"], "version": "1.49.0"})
    assert len(runtime.result("listEngines")) == 2
    assert "not installed" in runtime.error("removeEngine", {"name": "x", "version": "1"})["title"]


def test_extensions_search_and_download(server: FakeLMStudio, runtime: Any) -> None:
    found = runtime.result("searchRuntimeExtensions", {"query": "", "includeIncompatible": False})
    assert [(e["type"], e["localVersions"]) for e in found["extensions"]] == [
        ("engine", []),
        ("framework", []),
    ]
    vulkan = runtime.result(
        "searchRuntimeExtensions", {"query": "VULKAN", "includeIncompatible": True}
    )["extensions"]
    assert [e["name"] for e in vulkan] == ["llama.cpp-linux-x86_64-vulkan-avx2"]
    creation = {"name": vulkan[0]["name"], "version": "1.51.0", "updateSelections": True}
    packets, end = runtime.stream("downloadRuntimeExtension", creation)
    assert [p["type"] for p in packets] == ["downloadProgress"] * 4 + ["startFinalizing", "success"]
    assert end["type"] == "channelClose"
    assert vulkan[0]["name"] in [e["name"] for e in runtime.result("listEngines")]
    (pair,) = runtime.result("getEngineSelections", UNDEFINED)["json"]
    assert pair == ["GGUF", {"name": vulkan[0]["name"], "version": "1.51.0"}]
    again = runtime.result(
        "searchRuntimeExtensions", {"query": "vulkan", "includeIncompatible": False}
    )
    assert again["extensions"][0]["localVersions"] == ["1.51.0"]


def test_hardware_survey_scopes(server: FakeLMStudio, runtime: Any) -> None:
    selected = runtime.result("surveyHardware")
    assert selected["status"] == "ok"
    (engine,) = selected["engines"]
    assert engine["name"] == CUDA["name"]
    assert engine["hardwareSurvey"]["gpuSurveyResult"]["gpuInfo"][0]["detectionPlatform"] == "CUDA"
    assert len(runtime.result("surveyHardware", {"type": "all"})["engines"]) == 3
    custom = runtime.result("surveyHardware", {"type": "custom", "engines": [AVX2]})
    assert custom["engines"][0]["hardwareSurvey"]["gpuSurveyResult"]["gpuInfo"] == []
    assert custom["engines"][0]["memoryInfo"]["vramCapacity"] == 0
