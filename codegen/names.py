"""Public names for generated classes: what users see in reprs, signatures and ``reveal_type``.

A generated class named here is generated under its public name instead (one class, one
name: decoding gives instances whose repr says ``FileHandle``). A renamed *definition*
keeps its schema-derived name as an alias (``ChatMessagePartFileData = FileHandle``), as
every definition does, so the registry and the fake server can still name it.

The names follow LM Studio's official Python SDK where it has one (its chat history
types); ``LMStudioVersion`` follows the TypeScript SDK's ``getLMStudioVersion()``, since
the Python SDK has no such call.
"""

from __future__ import annotations

PUBLIC_NAMES: dict[str, str] = {
    # chat history: messages and their parts
    "ChatMessageDataSystem": "SystemPrompt",
    "ChatMessageDataUser": "UserMessage",
    "ChatMessageDataAssistant": "AssistantResponse",
    "ChatMessageDataTool": "ToolResultMessage",
    "ChatMessagePartTextData": "TextData",
    "ChatMessagePartFileData": "FileHandle",
    "ChatMessagePartToolCallRequestData": "ToolCallRequestData",
    "ChatMessagePartToolCallResultData": "ToolCallResultData",
    "FunctionToolCallRequest": "ToolCallRequest",
    # results of public calls
    "SystemRpcVersionReturns": "LMStudioVersion",
    "SystemRpcInfoReturns": "LMStudioInfo",
    # runtime: an engine or extension is named by {name, version} (schema: baseSpecifier)
    "BaseSpecifier": "RuntimeEngineSpecifier",
    # diagnostics: what a log event carries
    "DiagnosticsLogEventDataLlmPredictionInput": "PredictionInputLogData",
    "DiagnosticsLogEventDataLlmPredictionOutput": "PredictionOutputLogData",
    "DiagnosticsLogEventDataServerLog": "ServerLogData",
    "DiagnosticsLogRuntimeEventData": "RuntimeLogData",
    # files: parse_document()'s result, as the TypeScript SDK names it
    "FilesChannelParseDocumentToClientPacketResult": "ParseDocumentResult",
    # repository: ensure_authenticated()'s login code, push_artifact()'s messages
    "RepositoryChannelEnsureAuthenticatedToClientPacketAuthenticationCode": "AuthenticationCode",
    # repository: download planning (the plan's node kinds keep their schema names)
    "RepositoryChannelCreateDownloadPlanCreationParameterOpts": "DownloadPlanOptions",
    # repository: fuzzy_find_staff_picks()'s results
    "RepositoryRpcFuzzyFindStaffPicksReturnsResultsItem": "StaffPick",
}

SUPERJSON_RESULTS: dict[tuple[str, str], str] = {
    # (namespace, endpoint) -> the class of its superjson result envelope {json, meta}.
    # The only superjson endpoint of both protocol generations (reference.md, 3.10).
    ("runtime", "getEngineSelections"): "RuntimeRpcGetEngineSelectionsSuperjson",
}
