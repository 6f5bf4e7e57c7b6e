"""The plugin SDK's exceptions (the official SDK's names)."""

from __future__ import annotations

from ..errors import LMStudioRuntimeError, LMStudioValueError

__all__ = ["LMStudioPluginInitError", "LMStudioPluginRuntimeError"]


class LMStudioPluginInitError(LMStudioValueError):
    """A plugin cannot start: a bad manifest, a missing ``src/plugin.py``, no hook, a bad
    config schema."""


class LMStudioPluginRuntimeError(LMStudioRuntimeError):
    """A plugin API used where it does not apply (e.g. a tool call context outside a tool)."""


for _cls in (LMStudioPluginInitError, LMStudioPluginRuntimeError):
    _cls.__module__ = "lmstudio.plugin"
