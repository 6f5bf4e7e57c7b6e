"""``runtime``: engines, engine selections, runtime extensions and the hardware survey.

The fake machine is a Linux x86_64 PC with one discrete NVIDIA GPU (8 GiB) and 32 GiB of
RAM. Three llama.cpp engines are installed (CPU AVX2 in two versions, and CUDA 12);
the CUDA one is selected for ``GGUF``. ``searchRuntimeExtensions`` offers a Vulkan
engine and a CUDA framework; downloading one installs it (an engine then appears in
``listEngines`` and, with ``updateSelections``, becomes the selected ``GGUF`` engine).
The state is server-wide and survives ``restart()``, as installed engines do.
"""

from __future__ import annotations

import copy
from typing import Any

from lmstudio._protocol import models
from lmstudio.testing._endpoints._registry import channel, rpc
from lmstudio.testing._endpoints.repository import download_progress
from lmstudio.testing._errors import FakeServerError
from lmstudio.testing._session import CallContext, Channel

_CPU = {"architecture": "x86_64", "instructionSetExtensions": ["AVX", "AVX2"]}
_CUDA = {"make": "NVIDIA", "framework": "CUDA12"}


def _engine(name: str, version: str, gpu: dict[str, str] | None = None) -> dict[str, Any]:
    found: dict[str, Any] = {
        "name": name,
        "version": version,
        "engine": "llama.cpp",
        "platform": "linux",
        "cpu": dict(_CPU),
        "supportedModelFormatNames": ["GGUF"],
    }
    if gpu is not None:
        found["gpu"] = dict(gpu)
    return found


def default_engines() -> list[dict[str, Any]]:
    """The engines a fresh fake server has installed (``runtimeEngineInfo`` wire shape)."""
    return [
        _engine("llama.cpp-linux-x86_64-avx2", "1.49.0"),
        _engine("llama.cpp-linux-x86_64-avx2", "1.50.2"),
        _engine("llama.cpp-linux-x86_64-nvidia-cuda12-avx2", "1.50.2", _CUDA),
    ]


EXTENSIONS: list[dict[str, Any]] = [
    {
        "type": "engine",
        **_engine(
            "llama.cpp-linux-x86_64-vulkan-avx2", "1.51.0", {"make": "AMD", "framework": "Vulkan"}
        ),
        "package": "llama.cpp-linux-x86_64-vulkan-avx2@1.51.0",
        "sizeBytes": 48_000_000,
    },
    {
        "type": "framework",
        "name": "cuda12-linux-x86_64",
        "version": "12.4.0",
        "package": "cuda12-linux-x86_64@12.4.0",
        "platform": "linux",
        "cpu": dict(_CPU),
        "gpu": dict(_CUDA),
        "sizeBytes": 300_000_000,
    },
]
"""What ``searchRuntimeExtensions`` can find (plus the fake-only ``sizeBytes``)."""


class RuntimeState:
    """Installed engines and the engine selected per model format."""

    def __init__(self) -> None:
        self.engines = default_engines()
        self.frameworks: list[dict[str, str]] = []
        self.selections: dict[str, dict[str, str]] = {
            "GGUF": {"name": "llama.cpp-linux-x86_64-nvidia-cuda12-avx2", "version": "1.50.2"}
        }

    def find(self, name: str, version: str) -> dict[str, Any] | None:
        return next(
            (e for e in self.engines if e["name"] == name and e["version"] == version), None
        )

    def local_versions(self, name: str) -> list[str]:
        return [e["version"] for e in [*self.engines, *self.frameworks] if e["name"] == name]


def runtime_state(core: Any) -> RuntimeState:
    """The server's runtime state (created on first use)."""
    if core.runtime is None:
        core.runtime = RuntimeState()
    state: RuntimeState = core.runtime
    return state


def _no_engine(name: str, version: str) -> FakeServerError:
    return FakeServerError(
        f"Engine {name}@{version} is not installed",
        suggestion="List the installed engines with listEngines",
    )


@rpc("listEngines", "runtime")
async def list_engines(ctx: CallContext, _: None) -> Any:
    return copy.deepcopy(runtime_state(ctx.core).engines)


@rpc("getEngineSelections", "runtime")
async def get_engine_selections(ctx: CallContext, _: None) -> Any:
    # A Map on LM Studio's side: pairs here, wrapped in superjson by the session.
    return [[fmt, dict(engine)] for fmt, engine in runtime_state(ctx.core).selections.items()]


@rpc("selectEngine", "runtime")
async def select_engine(ctx: CallContext, param: Any) -> None:
    state = runtime_state(ctx.core)
    engine = state.find(param.engine.name, param.engine.version)
    if engine is None:
        raise _no_engine(param.engine.name, param.engine.version)
    if param.model_format_name not in engine["supportedModelFormatNames"]:
        raise FakeServerError(
            f"Engine {engine['name']} does not support the model format {param.model_format_name}"
        )
    state.selections[param.model_format_name] = {
        "name": engine["name"],
        "version": engine["version"],
    }


@rpc("removeEngine", "runtime")
async def remove_engine(ctx: CallContext, param: Any) -> None:
    state = runtime_state(ctx.core)
    engine = state.find(param.name, param.version)
    if engine is None:
        raise _no_engine(param.name, param.version)
    if {"name": param.name, "version": param.version} in state.selections.values():
        raise FakeServerError(
            f"Engine {param.name}@{param.version} is selected and cannot be removed",
            suggestion="Select another engine first",
        )
    state.engines.remove(engine)


@rpc("searchRuntimeExtensions", "runtime")
async def search_runtime_extensions(ctx: CallContext, param: Any) -> Any:
    state = runtime_state(ctx.core)
    query = param.query.lower()
    found = []
    for extension in EXTENSIONS:
        if query in extension["name"].lower():
            entry = {k: copy.deepcopy(v) for k, v in extension.items() if k != "sizeBytes"}
            entry["localVersions"] = state.local_versions(extension["name"])
            found.append(entry)
    return {"extensions": found}


@channel("downloadRuntimeExtension", "runtime")
async def download_runtime_extension(ch: Channel, creation: Any) -> None:
    extension = next(
        (e for e in EXTENSIONS if e["name"] == creation.name and e["version"] == creation.version),
        None,
    )
    if extension is None:
        raise FakeServerError(f"No runtime extension {creation.name}@{creation.version}")
    await download_progress(ch, int(extension["sizeBytes"]))
    state = runtime_state(ch.core)
    installed = {
        k: copy.deepcopy(v)
        for k, v in extension.items()
        if k not in ("type", "package", "sizeBytes")
    }
    if extension["type"] == "engine":
        if state.find(extension["name"], extension["version"]) is None:
            state.engines.append(installed)
        if creation.update_selections:
            for fmt in extension["supportedModelFormatNames"]:
                state.selections[fmt] = {"name": extension["name"], "version": extension["version"]}
    elif installed not in state.frameworks:
        state.frameworks.append(installed)
    await ch.send(models.PluginsChannelGenerateWithGeneratorToClientPacketSuccess())


GIB = 1024**3
_GPU = {
    "name": "NVIDIA GeForce RTX 4060",
    "deviceId": 0,
    "totalMemoryCapacityBytes": 8 * GIB,
    "dedicatedMemoryCapacityBytes": 8 * GIB,
    "integrationType": "discrete",
    "detectionPlatform": "CUDA",
    "detectionPlatformVersion": "12.4",
    "otherInfo": {"driverVersion": "550.54"},
}


def _survey(engine: dict[str, Any]) -> dict[str, Any]:
    gpu = "gpu" in engine
    return {
        "name": engine["name"],
        "version": engine["version"],
        "engine": engine["engine"],
        "platform": engine["platform"],
        "compatibility": {"status": "compatible"},
        "supportedModelFormatNames": list(engine["supportedModelFormatNames"]),
        "hardwareSurvey": {
            "gpuSurveyResult": {
                "result": (
                    {"code": "success", "message": ""}
                    if gpu
                    else {"code": "noDevicesFound", "message": "CPU engine: no GPU used"}
                ),
                "gpuInfo": [dict(_GPU)] if gpu else [],
            },
            "cpuSurveyResult": {
                "result": {"code": "success", "message": ""},
                "cpuInfo": {
                    "name": "AMD Ryzen 7 7700",
                    "architecture": "x86_64",
                    "supportedInstructionSetExtensions": ["AVX", "AVX2"],
                },
            },
        },
        "memoryInfo": {
            "ramCapacity": 32 * GIB,
            "vramCapacity": 8 * GIB if gpu else 0,
            "totalMemory": (40 if gpu else 32) * GIB,
        },
    }


@rpc("surveyHardware", "runtime")
async def survey_hardware(ctx: CallContext, scope: Any) -> Any:
    state = runtime_state(ctx.core)
    kind = getattr(type(scope), "__struct_config__", None)
    tag = getattr(kind, "tag", None) if scope is not None else "selected"
    if tag == "all":
        engines = list(state.engines)
    elif tag == "custom":
        engines = []
        for wanted in scope.engines:
            engine = state.find(wanted.name, wanted.version)
            if engine is None:
                raise _no_engine(wanted.name, wanted.version)
            engines.append(engine)
    else:  # absent or "selected"
        selected = list(state.selections.values())
        engines = [
            e for e in state.engines if {"name": e["name"], "version": e["version"]} in selected
        ]
    return {
        "status": "ok" if engines else "noCompatibleBackends",
        "engines": [_survey(e) for e in engines],
    }
