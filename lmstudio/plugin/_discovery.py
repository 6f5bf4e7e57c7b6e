"""Find a plugin's hooks and config schemas in its ``src/plugin.py``, by name.

Hooks: ``list_provided_tools`` (a tools provider), ``preprocess_prompt`` (a prompt
preprocessor), ``generate`` (a generator; ``generate_tokens``, the official Python SDK's
placeholder name, is accepted too) and ``prediction_loop_handler`` (the TypeScript SDK's
prediction loop handler). Config schemas: ``ConfigSchema`` (per chat) and
``GlobalConfigSchema``, subclasses of :class:`~lmstudio.plugin.BaseConfigSchema`. Each
hook may be a plain function (run in a worker thread) or an ``async def`` one (run on the
runner's event loop). The source runs with its ``src/`` folder on ``sys.path``, so it may
import modules beside it.
"""

from __future__ import annotations

import inspect
import runpy
import sys
from collections.abc import Callable
from typing import Any

from ._config import BaseConfigSchema
from ._errors import LMStudioPluginInitError
from ._manifest import PluginManifest

__all__ = ["HOOK_NAMES", "LoadedPlugin", "load_plugin"]

HOOK_NAMES: dict[str, str] = {
    "list_provided_tools": "tools provider",
    "preprocess_prompt": "prompt preprocessor",
    "generate": "generator",
    "prediction_loop_handler": "prediction loop handler",
}
_ALIASES = {"generate_tokens": "generate"}
_HOOK_PARAMETERS = {
    "list_provided_tools": 1,
    "preprocess_prompt": 2,
    "generate": 2,
    "prediction_loop_handler": 1,
}


class LoadedPlugin:
    """A plugin's manifest, hooks (by canonical name) and config schema classes."""

    __slots__ = ("config_schema", "global_config_schema", "hooks", "manifest")

    def __init__(
        self,
        manifest: PluginManifest,
        hooks: dict[str, Callable[..., Any]],
        config_schema: type[BaseConfigSchema],
        global_config_schema: type[BaseConfigSchema],
    ) -> None:
        self.manifest = manifest
        self.hooks = hooks
        self.config_schema = config_schema
        self.global_config_schema = global_config_schema

    @property
    def name(self) -> str:
        return self.manifest.name


def load_plugin(manifest: PluginManifest) -> LoadedPlugin:
    """Run ``src/plugin.py`` and pick out its hooks and schemas.

    Raises:
        LMStudioPluginInitError: the source fails to run (the cause is chained), it
            defines no hook, a hook is not callable or takes the wrong parameters, or a
            schema is not a ``BaseConfigSchema`` subclass.
    """
    source_dir = str(manifest.source.parent)
    if source_dir not in sys.path:
        sys.path.insert(0, source_dir)
    try:
        namespace = runpy.run_path(str(manifest.source), run_name="__lms_plugin__")
    except LMStudioPluginInitError:
        raise
    except Exception as exc:
        raise LMStudioPluginInitError(
            f"{manifest.source} failed to run: {type(exc).__name__}: {exc}"
        ) from exc
    hooks: dict[str, Callable[..., Any]] = {}
    for name, hook in namespace.items():
        canonical = _ALIASES.get(name, name)
        if canonical not in HOOK_NAMES or hook is None:
            continue
        if canonical in hooks:
            raise LMStudioPluginInitError(
                f"{manifest.source} defines both {canonical!r} and its alias {name!r}"
            )
        hooks[canonical] = _check_hook(manifest, name, canonical, hook)
    if not hooks:
        expected = ", ".join(HOOK_NAMES)
        raise LMStudioPluginInitError(
            f"No plugin hooks defined in {manifest.source}: define at least one of {expected}"
        )
    return LoadedPlugin(
        manifest,
        hooks,
        _schema(manifest, namespace, "ConfigSchema"),
        _schema(manifest, namespace, "GlobalConfigSchema"),
    )


def _check_hook(
    manifest: PluginManifest, name: str, canonical: str, hook: object
) -> Callable[..., Any]:
    if not callable(hook):
        raise LMStudioPluginInitError(f"{manifest.source}: {name!r} must be a function")
    expected = _HOOK_PARAMETERS[canonical]
    try:
        signature = inspect.signature(hook)
        signature.bind(*range(expected))
    except TypeError:
        shape = "(ctl)" if expected == 1 else "(ctl, input)"
        raise LMStudioPluginInitError(
            f"{manifest.source}: the {HOOK_NAMES[canonical]} hook {name!r} must take "
            f"{expected} argument{'s' if expected > 1 else ''} {shape}"
        ) from None
    except ValueError:
        pass  # no signature to check (a builtin): leave it to the call
    return hook


def _schema(
    manifest: PluginManifest, namespace: dict[str, Any], name: str
) -> type[BaseConfigSchema]:
    schema = namespace.get(name)
    if schema is None:
        return BaseConfigSchema
    if not (isinstance(schema, type) and issubclass(schema, BaseConfigSchema)):
        raise LMStudioPluginInitError(
            f"{manifest.source}: {name} must be a subclass of lmstudio.plugin.BaseConfigSchema, "
            f"not {schema!r}"
        )
    return schema
