"""A generator: answers every chat with a canned reply, streamed word by word, then a
tool call (so ``act()`` with this generator runs a tool).

Run: ``python -m lmstudio.plugin examples/plugins/canned-reply --dev``
"""

from __future__ import annotations

import asyncio

from lmstudio import Chat
from lmstudio.plugin import BaseConfigSchema, GeneratorController, config_field


class ConfigSchema(BaseConfigSchema):
    reply: str = config_field(
        label="Reply", hint="The text every answer starts with", default="Let me roll for you."
    )
    delay: float = config_field(
        label="Delay between words (s)", default=0.0, min=0.0, max=1.0, step=0.05, slider=True
    )
    tool_name: str = config_field(
        label="Tool to call", hint="Called when the caller offers it", default="roll_dice"
    )


async def generate(ctl: GeneratorController[ConfigSchema, BaseConfigSchema], chat: Chat) -> None:
    """Stream the reply, then request the tool (if offered) with fixed arguments."""
    config = ctl.plugin_config
    words = config.reply.split(" ")
    for index, word in enumerate(words):
        ctl.fragment_generated(word if index == 0 else " " + word)
        if config.delay:
            await asyncio.sleep(config.delay)
    offered = {tool.function.name for tool in ctl.tool_definitions}
    if config.tool_name in offered:
        ctl.tool_call(config.tool_name, {"count": 2, "sides": 6}, tool_call_id="canned-1")
