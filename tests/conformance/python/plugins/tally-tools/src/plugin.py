"""A tools provider written for the official SDK's plugin API (``lmstudio`` 1.6.0b1).

A conformance fixture: the official runner serves it against the fake server, whose host
side it exercises (config schematics of every field type, plain results, progress
statuses and warnings from a sync and an async tool, a failing tool, an abortable tool).
"""

import asyncio
import time

from lmstudio import ToolDefinition
from lmstudio.plugin import (
    BaseConfigSchema,
    ToolsProviderController,
    config_field,
    get_tool_call_context,
    get_tool_call_context_async,
)


class ConfigSchema(BaseConfigSchema):
    """Per-chat settings (one field of each type ``config_field`` supports)."""

    progress_label: str = config_field(
        label="Progress label",
        hint="Word that starts each progress report of the tally tool",
        default="step",
    )
    progress_steps: int = config_field(
        label="Progress steps",
        hint="How many progress reports the tally tool sends",
        default=3,
    )
    step_seconds: float = config_field(
        label="Seconds per step",
        hint="Pause of the tally tool before each progress report",
        default=0.0,
    )
    warn_after_first: bool = config_field(
        label="Warn after the first step",
        hint="The tally tool sends a warning after its first progress report",
        default=True,
    )


async def list_provided_tools(
    ctl: ToolsProviderController[ConfigSchema, BaseConfigSchema],
) -> list[ToolDefinition]:
    """The tools of one session, shaped by that session's config."""
    settings = ctl.plugin_config

    def multiply(a: float, b: float) -> dict[str, float]:
        """Multiply the number a by the number b."""
        return {"product": a * b}

    def tally(first: int, last: int) -> dict[str, int]:
        """Add up the whole numbers from first to last, reporting progress."""
        context = get_tool_call_context()
        for step in range(1, settings.progress_steps + 1):
            time.sleep(settings.step_seconds)
            context.notify_status(f"{settings.progress_label} {step}/{settings.progress_steps}")
            if step == 1 and settings.warn_after_first:
                context.notify_warning("tally is slow on purpose")
        return {"sum": sum(range(first, last + 1))}

    def refuse(reason: str) -> str:
        """Always fails, giving reason."""
        raise ValueError(f"refused on request: {reason}")

    async def pause(seconds: float) -> str:
        """Wait for the given number of seconds."""
        context = get_tool_call_context_async()
        await context.notify_status(f"pausing {seconds:g} s")
        await asyncio.sleep(seconds)
        await context.notify_warning("the pause ran to its end")
        return f"paused {seconds:g} s"

    return [multiply, tally, refuse, pause]
