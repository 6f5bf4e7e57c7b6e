"""Write LM Studio plugins in Python: hooks, config schemas, and the runner.

A plugin is a folder with ``manifest.json`` and ``src/plugin.py`` (the official SDK's
layout). ``src/plugin.py`` defines hooks by name (``list_provided_tools``,
``preprocess_prompt``, ``generate``, ``prediction_loop_handler``) and optionally
``ConfigSchema`` / ``GlobalConfigSchema`` classes. Run it with
``python -m lmstudio.plugin PLUGIN_DIR --dev``. See README "Writing a plugin".
"""

from __future__ import annotations

from ._config import BaseConfigSchema, config_field
from ._controllers import HookController, ProcessingController, StatusBlockController
from ._errors import LMStudioPluginInitError, LMStudioPluginRuntimeError
from ._runner import run_plugin, run_plugin_async
from ._tasks import (
    GeneratorController,
    PredictionLoopHandlerController,
    PromptPreprocessorController,
)
from ._tools import (
    ToolCallContext,
    ToolsProviderController,
    get_tool_call_context,
    get_tool_call_context_async,
)

AsyncToolCallContext = ToolCallContext
"""The official SDK's name for the context of an ``async def`` tool (the same class)."""
TokenGeneratorController = GeneratorController
"""The official SDK's name for the generator's controller."""

__all__ = [
    "AsyncToolCallContext",
    "BaseConfigSchema",
    "GeneratorController",
    "HookController",
    "LMStudioPluginInitError",
    "LMStudioPluginRuntimeError",
    "PredictionLoopHandlerController",
    "ProcessingController",
    "PromptPreprocessorController",
    "StatusBlockController",
    "TokenGeneratorController",
    "ToolCallContext",
    "ToolsProviderController",
    "config_field",
    "get_tool_call_context",
    "get_tool_call_context_async",
    "run_plugin",
    "run_plugin_async",
]

for _name in (
    "config_field",
    "get_tool_call_context",
    "get_tool_call_context_async",
    "run_plugin",
    "run_plugin_async",
):
    globals()[_name].__module__ = __name__
del _name
