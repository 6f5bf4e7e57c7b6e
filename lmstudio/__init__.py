"""Futures-based Python SDK for LM Studio's native WebSocket API.

Every public name is listed once, in ``lmstudio._exports.EXPORTS``, and loaded from its
private module on first access (PEP 562): ``import lmstudio`` imports nothing else, so a
script pays for msgspec, the protocol types and asyncio only when it uses them. The
``TYPE_CHECKING`` imports below show type checkers the same names (a test keeps them
equal to the table). Public modules: ``lmstudio``, ``lmstudio.errors``,
``lmstudio.testing`` (and its opt-in ``pytest_plugin``), ``lmstudio.plugin`` (writing
plugins); every other module is private.
"""

from ._exports import EXPORTS as _EXPORTS

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    from ._aliases import (
        AnyAsyncDownloadedModel as AnyAsyncDownloadedModel,
        AnyChatMessage as AnyChatMessage,
        AnyChatMessageDict as AnyChatMessageDict,
        AnyDownloadedModel as AnyDownloadedModel,
        AnyLoadConfig as AnyLoadConfig,
        AnyModelSpecifier as AnyModelSpecifier,
        AssistantResponseContent as AssistantResponseContent,
        AssistantResponseDict as AssistantResponseDict,
        AsyncClient as AsyncClient,
        AsyncDownloadedEmbeddingModel as AsyncDownloadedEmbeddingModel,
        AsyncDownloadedLlm as AsyncDownloadedLlm,
        AsyncEmbeddingModel as AsyncEmbeddingModel,
        AsyncLLM as AsyncLLM,
        AsyncPredictionStream as AsyncPredictionStream,
        ChatHistoryDataDict as ChatHistoryDataDict,
        DictObject as DictObject,
        DictSchema as DictSchema,
        EmbeddingLoadModelConfigDict as EmbeddingLoadModelConfigDict,
        FileHandleDict as FileHandleDict,
        FileHandleInput as FileHandleInput,
        LlmLoadModelConfigDict as LlmLoadModelConfigDict,
        LlmPredictionConfigDict as LlmPredictionConfigDict,
        LlmPredictionFragment as LlmPredictionFragment,
        LocalFileInput as LocalFileInput,
        ModelInfo as ModelInfo,
        ModelInstanceInfo as ModelInstanceInfo,
        ModelQuery as ModelQuery,
        ModelSpecifier as ModelSpecifier,
        ResponseSchema as ResponseSchema,
        SerializedLMSExtendedError as SerializedLMSExtendedError,
        SyncModelHandle as SyncModelHandle,
        SystemPromptContent as SystemPromptContent,
        SystemPromptDict as SystemPromptDict,
        TextDataDict as TextDataDict,
        ToolCallRequestDataDict as ToolCallRequestDataDict,
        ToolCallRequestDict as ToolCallRequestDict,
        ToolCallResultDataDict as ToolCallResultDataDict,
        ToolResultMessageDict as ToolResultMessageDict,
        UserMessageContent as UserMessageContent,
        UserMessageDict as UserMessageDict,
        ValidationError as ValidationError,
    )
    from ._api import (
        configure_default_client as configure_default_client,
        embedding_model as embedding_model,
        get_default_client as get_default_client,
        get_sync_api_timeout as get_sync_api_timeout,
        list_downloaded_models as list_downloaded_models,
        list_loaded_models as list_loaded_models,
        llm as llm,
        prepare_file as prepare_file,
        prepare_image as prepare_image,
        set_sync_api_timeout as set_sync_api_timeout,
    )
    from ._client import (
        Client as Client,
    )
    from ._data.config import (
        EmbeddingLoadModelConfig as EmbeddingLoadModelConfig,
        GpuSetting as GpuSetting,
        LlmLoadModelConfig as LlmLoadModelConfig,
        LlmPredictionConfig as LlmPredictionConfig,
    )
    from ._data.history import (
        AssistantResponse as AssistantResponse,
        Chat as Chat,
        ChatHistoryData as ChatHistoryData,
        FileHandle as FileHandle,
        FileType as FileType,
        SystemPrompt as SystemPrompt,
        TextData as TextData,
        ToolCallRequest as ToolCallRequest,
        ToolCallRequestData as ToolCallRequestData,
        ToolCallResultData as ToolCallResultData,
        ToolResultMessage as ToolResultMessage,
        UserMessage as UserMessage,
    )
    from ._data.structured import BaseModel as BaseModel, ModelSchema as ModelSchema
    from ._data.tools import (
        RemoteTool as RemoteTool,
        ToolDefinition as ToolDefinition,
        ToolFunctionDef as ToolFunctionDef,
        ToolFunctionDefDict as ToolFunctionDefDict,
    )
    from ._engine.call import (
        Call as Call,
    )
    from ._engine.session import (
        ClientState as ClientState,
    )
    from ._engine.stream import (
        Stream as Stream,
    )
    from ._prediction.act import (
        GuardToolCallController as GuardToolCallController,
    )
    from ._prediction.act_events import (
        ActEvent as ActEvent,
        ActResult as ActResult,
        GeneratorRoundResult as GeneratorRoundResult,
        MessageAdded as MessageAdded,
        PredictionRoundResult as PredictionRoundResult,
        RoundEnded as RoundEnded,
        RoundFirstToken as RoundFirstToken,
        RoundFragment as RoundFragment,
        RoundPredictionCompleted as RoundPredictionCompleted,
        RoundPromptProcessingProgress as RoundPromptProcessingProgress,
        RoundStarted as RoundStarted,
        ToolCallCompleted as ToolCallCompleted,
        ToolCallOutcome as ToolCallOutcome,
        ToolCallRequestArgumentsFragment as ToolCallRequestArgumentsFragment,
        ToolCallRequested as ToolCallRequested,
        ToolCallRequestFailed as ToolCallRequestFailed,
        ToolCallRequestNameReceived as ToolCallRequestNameReceived,
        ToolCallRequestStarted as ToolCallRequestStarted,
    )
    from ._prediction.callbacks import (
        PredictionFragmentCallback as PredictionFragmentCallback,
        PredictionMessageCallback as PredictionMessageCallback,
    )
    from ._prediction.events import PromptProcessingDetails as PromptProcessingDetails
    from ._prediction.results import (
        GeneratorPredictionResult as GeneratorPredictionResult,
        LlmPredictionStats as LlmPredictionStats,
        PredictionFragment as PredictionFragment,
        PredictionResult as PredictionResult,
    )
    from ._prediction.stream import (
        PredictionStream as PredictionStream,
    )
    from ._resources.act import (
        ActStream as ActStream,
        GuardToolCallHandler as GuardToolCallHandler,
        InvalidToolRequestHandler as InvalidToolRequestHandler,
    )
    from ._resources.diagnostics import (
        DiagnosticsLogEvent as DiagnosticsLogEvent,
        DiagnosticsLogEventData as DiagnosticsLogEventData,
        PredictionInputLogData as PredictionInputLogData,
        PredictionOutputLogData as PredictionOutputLogData,
        RuntimeLogData as RuntimeLogData,
        ServerLogData as ServerLogData,
    )
    from ._resources.documents import (
        DocumentParsingLibraryIdentifier as DocumentParsingLibraryIdentifier,
        ParseDocumentResult as ParseDocumentResult,
        RetrievalEvent as RetrievalEvent,
        RetrievalResult as RetrievalResult,
        RetrievalResultEntry as RetrievalResultEntry,
    )
    from ._resources.download_plan import (
        ArtifactDownloadPlan as ArtifactDownloadPlan,
        DownloadPlanEvent as DownloadPlanEvent,
        DownloadPlanStream as DownloadPlanStream,
    )
    from ._resources.downloaded import DownloadedModel as DownloadedModel
    from ._resources.embedding import (
        DownloadedEmbeddingModel as DownloadedEmbeddingModel,
        EmbeddingDynamicHandle as EmbeddingDynamicHandle,
        EmbeddingModel as EmbeddingModel,
    )
    from ._resources.handles import ModelHandle as ModelHandle
    from ._resources.llm import (
        LLM as LLM,
        DownloadedLlm as DownloadedLlm,
        LLMDynamicHandle as LLMDynamicHandle,
    )
    from ._resources.lm_link import (
        LmLinkLastError as LmLinkLastError,
        LmLinkPeer as LmLinkPeer,
        LmLinkStatusResult as LmLinkStatusResult,
    )
    from ._resources.model_extras import (
        EstimatedModelMemoryUsage as EstimatedModelMemoryUsage,
        EstimatedResourcesUsage as EstimatedResourcesUsage,
        ModelProcessingState as ModelProcessingState,
    )
    from ._resources.models import (
        EmbeddingModelInfo as EmbeddingModelInfo,
        EmbeddingModelInstanceInfo as EmbeddingModelInstanceInfo,
        LlmInfo as LlmInfo,
        LlmInstanceInfo as LlmInstanceInfo,
    )
    from ._resources.plugin_tools import PluginToolSession as PluginToolSession
    from ._resources.plugins import (
        LLMGenerator as LLMGenerator,
        PluginConfigInput as PluginConfigInput,
        PluginsNamespace as PluginsNamespace,
    )
    from ._resources.progress import ProgressBar as ProgressBar, progress_bar as progress_bar
    from ._resources.repository import (
        AvailableModel as AvailableModel,
        DownloadFinalizedCallback as DownloadFinalizedCallback,
        DownloadProgressCallback as DownloadProgressCallback,
        DownloadProgressUpdate as DownloadProgressUpdate,
        ModelDownloadOption as ModelDownloadOption,
    )
    from ._resources.repository_account import AuthenticationCode as AuthenticationCode
    from ._resources.repository_hub import (
        AuthenticationStatus as AuthenticationStatus,
        ComputeDeviceAuthenticationStatus as ComputeDeviceAuthenticationStatus,
        HubModel as HubModel,
        HubModelMetadataEmbedding as HubModelMetadataEmbedding,
        HubModelMetadataLlm as HubModelMetadataLlm,
        LocalArtifactFileEntry as LocalArtifactFileEntry,
        LocalArtifactFileList as LocalArtifactFileList,
        LoggedInUserAuthenticationStatus as LoggedInUserAuthenticationStatus,
        NoAuthenticationStatus as NoAuthenticationStatus,
        StaffPick as StaffPick,
    )
    from ._resources.runtime import (
        DownloadableRuntimeEngineExtension as DownloadableRuntimeEngineExtension,
        DownloadableRuntimeExtension as DownloadableRuntimeExtension,
        DownloadableRuntimeFrameworkExtension as DownloadableRuntimeFrameworkExtension,
        RuntimeEngineInfo as RuntimeEngineInfo,
        RuntimeEngineSpecifier as RuntimeEngineSpecifier,
        RuntimeHardwareSurveyResult as RuntimeHardwareSurveyResult,
    )
    from ._resources.system import (
        LMStudioVersion as LMStudioVersion,
    )
    from ._resources.system_admin import (
        LMStudioInfo as LMStudioInfo,
    )
    from ._types import (
        USE_CLIENT_DEFAULT as USE_CLIENT_DEFAULT,
        ModelLoadingCallback as ModelLoadingCallback,
        PredictionFirstTokenCallback as PredictionFirstTokenCallback,
        PromptProcessingCallback as PromptProcessingCallback,
    )
    from .errors import (
        LMStudioCancelledError as LMStudioCancelledError,
        LMStudioChannelClosedError as LMStudioChannelClosedError,
        LMStudioClientError as LMStudioClientError,
        LMStudioError as LMStudioError,
        LMStudioModelNotFoundError as LMStudioModelNotFoundError,
        LMStudioOSError as LMStudioOSError,
        LMStudioPredictionError as LMStudioPredictionError,
        LMStudioPresetNotFoundError as LMStudioPresetNotFoundError,
        LMStudioProtocolError as LMStudioProtocolError,
        LMStudioRuntimeError as LMStudioRuntimeError,
        LMStudioServerError as LMStudioServerError,
        LMStudioTimeoutError as LMStudioTimeoutError,
        LMStudioUnknownMessageWarning as LMStudioUnknownMessageWarning,
        LMStudioValueError as LMStudioValueError,
        LMStudioWebsocketError as LMStudioWebsocketError,
    )

__version__ = "0.1.0"

__all__ = [*_EXPORTS, "__version__"]


def __getattr__(name: str) -> object:
    module_name = _EXPORTS.get(name)
    if module_name is None:
        raise AttributeError(f"module 'lmstudio' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f".{module_name}", __name__), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
