"""Futures-based Python SDK for LM Studio's native WebSocket API.

``import lmstudio`` imports nothing else: each public name loads its module on first
access (PEP 562), so a script pays for msgspec, the protocol types and asyncio only
when it uses them. Type checkers see the same names through the imports below.

``lmstudio.llm`` is the convenience function ``lms.llm()``, as in the official SDK, even
after the submodule of the same name (``lmstudio/llm.py``: ``LLM``, ``client.llm``) is
imported: import from that module with ``from lmstudio.llm import ...``.
"""

import sys

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    from ._engine.call import Call
    from ._engine.stream import Stream
    from ._model_handle import ModelLoadingCallback
    from ._protocol.models import (
        EmbeddingModelInfo,
        EmbeddingModelInstanceInfo,
        LlmInfo,
        LlmInstanceInfo,
    )
    from .catalog import DownloadedEmbeddingModel, DownloadedLlm, DownloadedModel
    from .client import (
        USE_CLIENT_DEFAULT,
        Client,
        ClientState,
        configure_default_client,
        embedding_model,
        get_default_client,
        list_downloaded_models,
        list_loaded_models,
        llm,
        prepare_file,
        prepare_image,
    )
    from .config import (
        EmbeddingLoadModelConfig,
        GpuSetting,
        LlmLoadModelConfig,
        LlmPredictionConfig,
    )
    from .embedding import EmbeddingModel
    from .errors import (
        LMStudioCancelledError,
        LMStudioClientError,
        LMStudioError,
        LMStudioModelNotFoundError,
        LMStudioPredictionError,
        LMStudioPresetNotFoundError,
        LMStudioProtocolError,
        LMStudioRuntimeError,
        LMStudioServerError,
        LMStudioTimeoutError,
        LMStudioValueError,
        LMStudioWebsocketError,
    )
    from .history import (
        AssistantResponse,
        Chat,
        ChatHistoryData,
        FileHandle,
        SystemPrompt,
        TextData,
        ToolCallRequest,
        ToolCallRequestData,
        ToolCallResultData,
        ToolResultMessage,
        UserMessage,
    )
    from .llm import LLM, PredictionStream
    from .prediction import (
        LlmPredictionStats,
        PredictionFirstTokenCallback,
        PredictionFragment,
        PredictionFragmentCallback,
        PredictionMessageCallback,
        PredictionResult,
        PromptProcessingCallback,
    )
    from .repository import (
        AvailableModel,
        DownloadFinalizedCallback,
        DownloadProgressCallback,
        DownloadProgressUpdate,
        ModelDownloadOption,
    )

__version__ = "0.1.0"

# public name -> the module (relative to this package) that defines it
_EXPORTS = {
    # client and futures
    "Client": ".client",
    "ClientState": ".client",
    "USE_CLIENT_DEFAULT": ".client",
    "Call": "._engine.call",
    "Stream": "._engine.stream",
    # the default client's convenience API
    "configure_default_client": ".client",
    "embedding_model": ".client",
    "get_default_client": ".client",
    "list_downloaded_models": ".client",
    "list_loaded_models": ".client",
    "llm": ".client",
    "prepare_file": ".client",
    "prepare_image": ".client",
    # models
    "LLM": ".llm",
    "EmbeddingModel": ".embedding",
    "DownloadedModel": ".catalog",
    "DownloadedLlm": ".catalog",
    "DownloadedEmbeddingModel": ".catalog",
    "LlmInfo": "._protocol.models",
    "LlmInstanceInfo": "._protocol.models",
    "EmbeddingModelInfo": "._protocol.models",
    "EmbeddingModelInstanceInfo": "._protocol.models",
    "ModelLoadingCallback": "._model_handle",
    "AvailableModel": ".repository",
    "ModelDownloadOption": ".repository",
    "DownloadProgressUpdate": ".repository",
    "DownloadProgressCallback": ".repository",
    "DownloadFinalizedCallback": ".repository",
    # configs
    "LlmPredictionConfig": ".config",
    "LlmLoadModelConfig": ".config",
    "EmbeddingLoadModelConfig": ".config",
    "GpuSetting": ".config",
    # chat history
    "Chat": ".history",
    "ChatHistoryData": ".history",
    "FileHandle": ".history",
    "TextData": ".history",
    "ToolCallRequest": ".history",
    "ToolCallRequestData": ".history",
    "ToolCallResultData": ".history",
    "SystemPrompt": ".history",
    "UserMessage": ".history",
    "AssistantResponse": ".history",
    "ToolResultMessage": ".history",
    # predictions
    "PredictionStream": ".llm",
    "PredictionResult": ".prediction",
    "PredictionFragment": ".prediction",
    "LlmPredictionStats": ".prediction",
    "PredictionMessageCallback": ".prediction",
    "PredictionFirstTokenCallback": ".prediction",
    "PredictionFragmentCallback": ".prediction",
    "PromptProcessingCallback": ".prediction",
    # errors
    "LMStudioError": ".errors",
    "LMStudioServerError": ".errors",
    "LMStudioModelNotFoundError": ".errors",
    "LMStudioPresetNotFoundError": ".errors",
    "LMStudioPredictionError": ".errors",
    "LMStudioClientError": ".errors",
    "LMStudioWebsocketError": ".errors",
    "LMStudioProtocolError": ".errors",
    "LMStudioCancelledError": ".errors",
    "LMStudioTimeoutError": ".errors",
    "LMStudioRuntimeError": ".errors",
    "LMStudioValueError": ".errors",
}

__all__ = [
    "LLM",
    "USE_CLIENT_DEFAULT",
    "AssistantResponse",
    "AvailableModel",
    "Call",
    "Chat",
    "ChatHistoryData",
    "Client",
    "ClientState",
    "DownloadFinalizedCallback",
    "DownloadProgressCallback",
    "DownloadProgressUpdate",
    "DownloadedEmbeddingModel",
    "DownloadedLlm",
    "DownloadedModel",
    "EmbeddingLoadModelConfig",
    "EmbeddingModel",
    "EmbeddingModelInfo",
    "EmbeddingModelInstanceInfo",
    "FileHandle",
    "GpuSetting",
    "LMStudioCancelledError",
    "LMStudioClientError",
    "LMStudioError",
    "LMStudioModelNotFoundError",
    "LMStudioPredictionError",
    "LMStudioPresetNotFoundError",
    "LMStudioProtocolError",
    "LMStudioRuntimeError",
    "LMStudioServerError",
    "LMStudioTimeoutError",
    "LMStudioValueError",
    "LMStudioWebsocketError",
    "LlmInfo",
    "LlmInstanceInfo",
    "LlmLoadModelConfig",
    "LlmPredictionConfig",
    "LlmPredictionStats",
    "ModelDownloadOption",
    "ModelLoadingCallback",
    "PredictionFirstTokenCallback",
    "PredictionFragment",
    "PredictionFragmentCallback",
    "PredictionMessageCallback",
    "PredictionResult",
    "PredictionStream",
    "PromptProcessingCallback",
    "Stream",
    "SystemPrompt",
    "TextData",
    "ToolCallRequest",
    "ToolCallRequestData",
    "ToolCallResultData",
    "ToolResultMessage",
    "UserMessage",
    "__version__",
    "configure_default_client",
    "embedding_model",
    "get_default_client",
    "list_downloaded_models",
    "list_loaded_models",
    "llm",
    "prepare_file",
    "prepare_image",
]


# Importing a submodule sets it as an attribute of its package: these names must stay
# the public functions, not the submodules they share a name with.
_NOT_SUBMODULES = frozenset({"llm"})


class _Package(type(sys)):  # type: ignore[misc]
    def __setattr__(self, name: str, value: object) -> None:
        if name in _NOT_SUBMODULES and isinstance(value, type(sys)):
            return  # still reachable as sys.modules["lmstudio.llm"]
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


def __getattr__(name: str) -> object:
    module_name = _EXPORTS.get(name)
    if module_name is None:
        raise AttributeError(f"module 'lmstudio' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module_name, __name__), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
