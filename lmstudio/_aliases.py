"""The official Python SDK's names for what this SDK has under another name.

LM Studio's official SDK has a sync and an async twin of each class (``Client`` and
``AsyncClient``, ``LLM`` and ``AsyncLLM``...); here one class serves both styles, so each
``Async...`` name is the same class. The other names are the official SDK's type aliases,
for code that annotates with them. ``tests/test_official_names.py`` compares both packages'
names; README lists the ones left out and why.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeAlias

import msgspec

from ._client import Client
from ._data.history import ChatMessage, FileHandle, TextData
from ._data.specifiers import ModelSpecifierInput
from ._data.structured import ResponseFormatInput
from ._prediction.results import PredictionFragment
from ._prediction.stream import PredictionStream
from ._protocol.dicts import (
    AnyChatMessageDict,
    AssistantResponseDict,
    ChatHistoryDataDict,
    EmbeddingLoadModelConfigDict,
    FileHandleDict,
    LlmLoadModelConfigDict,
    LlmPredictionConfigDict,
    SystemPromptDict,
    TextDataDict,
    ToolCallRequestDataDict,
    ToolCallRequestDict,
    ToolCallResultDataDict,
    ToolResultMessageDict,
    UserMessageDict,
)
from ._protocol.models import (
    EmbeddingLoadModelConfig,
    EmbeddingModelInfo,
    EmbeddingModelInstanceInfo,
    LlmInfo,
    LlmInstanceInfo,
    LlmLoadModelConfig,
    ModelQuery,
    ModelSpecifier,
    SerializedLMSExtendedError,
)
from ._resources.embedding import DownloadedEmbeddingModel, EmbeddingModel
from ._resources.files import LocalFileInput
from ._resources.handles import ModelHandle
from ._resources.llm import LLM, DownloadedLlm

__all__ = [
    "AnyAsyncDownloadedModel",
    "AnyChatMessage",
    "AnyChatMessageDict",
    "AnyDownloadedModel",
    "AnyLoadConfig",
    "AnyModelSpecifier",
    "AssistantResponseContent",
    "AssistantResponseDict",
    "AsyncClient",
    "AsyncDownloadedEmbeddingModel",
    "AsyncDownloadedLlm",
    "AsyncEmbeddingModel",
    "AsyncLLM",
    "AsyncPredictionStream",
    "ChatHistoryDataDict",
    "DictObject",
    "DictSchema",
    "EmbeddingLoadModelConfigDict",
    "FileHandleDict",
    "FileHandleInput",
    "LlmLoadModelConfigDict",
    "LlmPredictionConfigDict",
    "LlmPredictionFragment",
    "LocalFileInput",
    "ModelInfo",
    "ModelInstanceInfo",
    "ModelQuery",
    "ModelSpecifier",
    "ResponseSchema",
    "SerializedLMSExtendedError",
    "SyncModelHandle",
    "SystemPromptContent",
    "SystemPromptDict",
    "TextDataDict",
    "ToolCallRequestDataDict",
    "ToolCallRequestDict",
    "ToolCallResultDataDict",
    "ToolResultMessageDict",
    "UserMessageContent",
    "UserMessageDict",
    "ValidationError",
]

# one class for both styles
AsyncClient = Client
AsyncLLM = LLM
AsyncEmbeddingModel = EmbeddingModel
AsyncDownloadedLlm = DownloadedLlm
AsyncDownloadedEmbeddingModel = DownloadedEmbeddingModel
AsyncPredictionStream = PredictionStream
SyncModelHandle = ModelHandle
LlmPredictionFragment = PredictionFragment
"""The official name of a streamed fragment (its callbacks get one)."""

# type aliases
AnyDownloadedModel: TypeAlias = DownloadedLlm | DownloadedEmbeddingModel
AnyAsyncDownloadedModel: TypeAlias = AnyDownloadedModel
ModelInfo: TypeAlias = LlmInfo | EmbeddingModelInfo
ModelInstanceInfo: TypeAlias = LlmInstanceInfo | EmbeddingModelInstanceInfo
AnyLoadConfig: TypeAlias = LlmLoadModelConfig | EmbeddingLoadModelConfig
AnyModelSpecifier: TypeAlias = ModelSpecifierInput
AnyChatMessage: TypeAlias = ChatMessage
SystemPromptContent: TypeAlias = TextData
UserMessageContent: TypeAlias = TextData | FileHandle
AssistantResponseContent: TypeAlias = TextData | FileHandle
FileHandleInput: TypeAlias = FileHandle | Mapping[str, Any]
DictObject: TypeAlias = Mapping[str, Any]
DictSchema: TypeAlias = Mapping[str, Any]
ResponseSchema: TypeAlias = ResponseFormatInput
ValidationError = msgspec.ValidationError
