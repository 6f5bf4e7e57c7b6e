"""The public names of ``lmstudio``: one table, name -> the private module defining it.

``lmstudio/__init__.py`` loads each name from here on first access, and every private
module that defines public names calls :func:`publish` at its end, so those objects say
``lmstudio.Call`` / ``lmstudio.LLM`` in reprs, ``help()``, pydoc and tracebacks however
they were reached. Imports nothing (cheap, and importable by every layer).
"""

from __future__ import annotations

__all__ = ["EXPORTS", "publish"]

EXPORTS: dict[str, str] = {
    # client and futures
    "Client": "_client",
    "ClientState": "_engine.session",
    "USE_CLIENT_DEFAULT": "_types",
    "Call": "_engine.call",
    "Stream": "_engine.stream",
    # the default client's convenience API
    "configure_default_client": "_api",
    "embedding_model": "_api",
    "get_default_client": "_api",
    "list_downloaded_models": "_api",
    "list_loaded_models": "_api",
    "llm": "_api",
    "prepare_file": "_api",
    "prepare_image": "_api",
    # models
    "LLM": "_resources.llm",
    "EmbeddingModel": "_resources.embedding",
    "LLMDynamicHandle": "_resources.llm",
    "EmbeddingDynamicHandle": "_resources.embedding",
    "ModelHandle": "_resources.handles",
    "DownloadedModel": "_resources.downloaded",
    "DownloadedLlm": "_resources.llm",
    "DownloadedEmbeddingModel": "_resources.embedding",
    "LlmInfo": "_resources.models",
    "LlmInstanceInfo": "_resources.models",
    "EmbeddingModelInfo": "_resources.models",
    "EmbeddingModelInstanceInfo": "_resources.models",
    "ModelLoadingCallback": "_types",
    "progress_bar": "_resources.progress",
    "ProgressBar": "_resources.progress",
    "ModelProcessingState": "_resources.model_extras",
    "EstimatedResourcesUsage": "_resources.model_extras",
    "EstimatedModelMemoryUsage": "_resources.model_extras",
    "AvailableModel": "_resources.repository",
    "ModelDownloadOption": "_resources.repository",
    "DownloadProgressUpdate": "_resources.repository",
    "DownloadProgressCallback": "_resources.repository",
    "DownloadFinalizedCallback": "_resources.repository",
    # the hub: login, artifacts, download plans
    "AuthenticationCode": "_resources.repository_account",
    "ArtifactDownloadPlan": "_resources.download_plan",
    "DownloadPlanEvent": "_resources.download_plan",
    "DownloadPlanStream": "_resources.download_plan",
    # the hub: catalog, staff picks, login status, local artifacts
    "AuthenticationStatus": "_resources.repository_hub",
    "ComputeDeviceAuthenticationStatus": "_resources.repository_hub",
    "HubModel": "_resources.repository_hub",
    "HubModelMetadataEmbedding": "_resources.repository_hub",
    "HubModelMetadataLlm": "_resources.repository_hub",
    "LocalArtifactFileEntry": "_resources.repository_hub",
    "LocalArtifactFileList": "_resources.repository_hub",
    "LoggedInUserAuthenticationStatus": "_resources.repository_hub",
    "NoAuthenticationStatus": "_resources.repository_hub",
    "StaffPick": "_resources.repository_hub",
    "LMStudioVersion": "_resources.system",
    "LMStudioInfo": "_resources.system_admin",
    # diagnostics
    "DiagnosticsLogEvent": "_resources.diagnostics",
    "DiagnosticsLogEventData": "_resources.diagnostics",
    "PredictionInputLogData": "_resources.diagnostics",
    "PredictionOutputLogData": "_resources.diagnostics",
    "ServerLogData": "_resources.diagnostics",
    "RuntimeLogData": "_resources.diagnostics",
    # LM Link
    "LmLinkStatusResult": "_resources.lm_link",
    "LmLinkPeer": "_resources.lm_link",
    "LmLinkLastError": "_resources.lm_link",
    # runtime
    "RuntimeEngineInfo": "_resources.runtime",
    "RuntimeEngineSpecifier": "_resources.runtime",
    "RuntimeHardwareSurveyResult": "_resources.runtime",
    "DownloadableRuntimeExtension": "_resources.runtime",
    "DownloadableRuntimeEngineExtension": "_resources.runtime",
    "DownloadableRuntimeFrameworkExtension": "_resources.runtime",
    # configs
    "LlmPredictionConfig": "_data.config",
    "LlmLoadModelConfig": "_data.config",
    "EmbeddingLoadModelConfig": "_data.config",
    "GpuSetting": "_data.config",
    # chat history
    "Chat": "_data.history",
    "ChatHistoryData": "_data.history",
    "FileHandle": "_data.history",
    # files: documents
    "DocumentParsingLibraryIdentifier": "_resources.documents",
    "ParseDocumentResult": "_resources.documents",
    "RetrievalEvent": "_resources.documents",
    "RetrievalResult": "_resources.documents",
    "RetrievalResultEntry": "_resources.documents",
    "TextData": "_data.history",
    "ToolCallRequest": "_data.history",
    "ToolCallRequestData": "_data.history",
    "ToolCallResultData": "_data.history",
    "SystemPrompt": "_data.history",
    "UserMessage": "_data.history",
    "AssistantResponse": "_data.history",
    "ToolResultMessage": "_data.history",
    "FileType": "_data.history",
    # predictions
    "PredictionStream": "_prediction.stream",
    "PredictionResult": "_prediction.results",
    "GeneratorPredictionResult": "_prediction.results",
    "PredictionFragment": "_prediction.results",
    "LlmPredictionStats": "_prediction.results",
    "PredictionMessageCallback": "_prediction.callbacks",
    "PredictionFirstTokenCallback": "_types",
    "PredictionFragmentCallback": "_prediction.callbacks",
    "PromptProcessingCallback": "_types",
    "PromptProcessingDetails": "_prediction.events",
    # tools and act()
    "ToolFunctionDef": "_data.tools",
    "ToolFunctionDefDict": "_data.tools",
    "ToolDefinition": "_data.tools",
    "RemoteTool": "_data.tools",
    # plugins, client side
    "PluginsNamespace": "_resources.plugins",
    "LLMGenerator": "_resources.plugins",
    "PluginConfigInput": "_resources.plugins",
    "PluginToolSession": "_resources.plugin_tools",
    "ActStream": "_resources.act",
    "ActResult": "_prediction.act_events",
    "ActEvent": "_prediction.act_events",
    "PredictionRoundResult": "_prediction.act_events",
    "GeneratorRoundResult": "_prediction.act_events",
    "RoundStarted": "_prediction.act_events",
    "RoundPromptProcessingProgress": "_prediction.act_events",
    "RoundFirstToken": "_prediction.act_events",
    "RoundFragment": "_prediction.act_events",
    "ToolCallRequestStarted": "_prediction.act_events",
    "ToolCallRequestNameReceived": "_prediction.act_events",
    "ToolCallRequestArgumentsFragment": "_prediction.act_events",
    "ToolCallRequested": "_prediction.act_events",
    "ToolCallRequestFailed": "_prediction.act_events",
    "ToolCallCompleted": "_prediction.act_events",
    "ToolCallOutcome": "_prediction.act_events",
    "RoundPredictionCompleted": "_prediction.act_events",
    "MessageAdded": "_prediction.act_events",
    "RoundEnded": "_prediction.act_events",
    "GuardToolCallController": "_prediction.act",
    "GuardToolCallHandler": "_resources.act",
    "InvalidToolRequestHandler": "_resources.act",
    # the official SDK's names for the same things (see _aliases.py)
    "AnyAsyncDownloadedModel": "_aliases",
    "AnyChatMessage": "_aliases",
    "AnyDownloadedModel": "_aliases",
    "AnyLoadConfig": "_aliases",
    "AnyModelSpecifier": "_aliases",
    "AssistantResponseContent": "_aliases",
    "AsyncClient": "_aliases",
    "AsyncDownloadedEmbeddingModel": "_aliases",
    "AsyncDownloadedLlm": "_aliases",
    "AsyncEmbeddingModel": "_aliases",
    "AsyncLLM": "_aliases",
    "AsyncPredictionStream": "_aliases",
    "DictObject": "_aliases",
    "DictSchema": "_aliases",
    "FileHandleInput": "_aliases",
    "LlmPredictionFragment": "_aliases",
    "LocalFileInput": "_aliases",
    "ModelInfo": "_aliases",
    "ModelInstanceInfo": "_aliases",
    "ModelQuery": "_aliases",
    "ModelSpecifier": "_aliases",
    "ResponseSchema": "_aliases",
    "SerializedLMSExtendedError": "_aliases",
    "SyncModelHandle": "_aliases",
    "SystemPromptContent": "_aliases",
    "UserMessageContent": "_aliases",
    "ValidationError": "_aliases",
    "LlmPredictionConfigDict": "_aliases",
    "ChatHistoryDataDict": "_aliases",
    "SystemPromptDict": "_aliases",
    "UserMessageDict": "_aliases",
    "AssistantResponseDict": "_aliases",
    "ToolResultMessageDict": "_aliases",
    "TextDataDict": "_aliases",
    "FileHandleDict": "_aliases",
    "ToolCallRequestDataDict": "_aliases",
    "ToolCallResultDataDict": "_aliases",
    "ToolCallRequestDict": "_aliases",
    "AnyChatMessageDict": "_aliases",
    "LlmLoadModelConfigDict": "_aliases",
    "EmbeddingLoadModelConfigDict": "_aliases",
    "BaseModel": "_data.structured",
    "ModelSchema": "_data.structured",
    "get_sync_api_timeout": "_api",
    "set_sync_api_timeout": "_api",
    "LMStudioOSError": "errors",
    "LMStudioChannelClosedError": "errors",
    "LMStudioUnknownMessageWarning": "errors",
    # errors (also public as lmstudio.errors)
    "LMStudioError": "errors",
    "LMStudioServerError": "errors",
    "LMStudioModelNotFoundError": "errors",
    "LMStudioPresetNotFoundError": "errors",
    "LMStudioPredictionError": "errors",
    "LMStudioClientError": "errors",
    "LMStudioWebsocketError": "errors",
    "LMStudioProtocolError": "errors",
    "LMStudioCancelledError": "errors",
    "LMStudioTimeoutError": "errors",
    "LMStudioRuntimeError": "errors",
    "LMStudioValueError": "errors",
}


def publish(module: str, namespace: dict[str, object]) -> None:
    """Set ``__module__ = "lmstudio"`` on the public classes and functions of ``module``.

    ``module`` is the caller's ``__name__``, ``namespace`` its ``globals()``. Only what
    ``module`` itself defines is changed: aliases (``TypeAlias`` values, another module's
    objects), constants and the generated protocol structs (msgspec resolves a struct's
    annotations in its ``__module__``) are left as they are.
    """
    short = module.removeprefix("lmstudio.")
    for name, where in EXPORTS.items():
        if where == short:
            value = namespace.get(name)
            if getattr(value, "__module__", None) != module:
                continue  # defined elsewhere: an alias, a generated struct (msgspec
                # resolves its annotations in its module), another library's type
            if isinstance(value, type) or (callable(value) and hasattr(value, "__code__")):
                value.__module__ = "lmstudio"  # type: ignore[union-attr,unused-ignore]
