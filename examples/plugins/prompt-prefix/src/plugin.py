"""A prompt preprocessor: puts a prefix before every user message.

Run: ``python -m lmstudio.plugin examples/plugins/prompt-prefix --dev``
"""

from __future__ import annotations

from lmstudio import TextData, UserMessage
from lmstudio.plugin import BaseConfigSchema, PromptPreprocessorController, config_field


class ConfigSchema(BaseConfigSchema):
    prefix: str = config_field(
        label="Prefix", hint="Inserted before each user message", default="Answer briefly: "
    )


class GlobalConfigSchema(BaseConfigSchema):
    report: str = config_field(
        label="Report",
        hint="What the plugin shows in the chat",
        default="status",
        options=[("status", "A status line"), ("debug", "A debug block"), ("none", "Nothing")],
    )


async def preprocess_prompt(
    ctl: PromptPreprocessorController[ConfigSchema, GlobalConfigSchema], message: UserMessage
) -> UserMessage:
    """Return the message with the prefix as its first part."""
    prefix = ctl.plugin_config.prefix
    if ctl.global_config.report == "status":
        block = await ctl.notify_start("Adding the prefix...")
        await block.notify_done(f"Added the prefix {prefix!r}")
    elif ctl.global_config.report == "debug":
        await ctl.debug("prompt-prefix added", repr(prefix))
    return UserMessage(content=[TextData(text=prefix), *message.content])
