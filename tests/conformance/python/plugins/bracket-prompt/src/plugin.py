"""A prompt preprocessor written for the official SDK's plugin API (``lmstudio`` 1.6.0b1).

A conformance fixture: the official runner serves it against the fake server, whose host
side it exercises (plugin and global config schematics, an in-place status block updated
through every state, a separate "done" block, an abort that cancels the block).
"""

import asyncio

from lmstudio import TextDataDict, UserMessage, UserMessageDict
from lmstudio.plugin import BaseConfigSchema, PromptPreprocessorController, config_field


class ConfigSchema(BaseConfigSchema):
    """Per-chat settings: the texts put around the user's message."""

    opening: str = config_field(
        label="Opening text",
        hint="Put before the user's message",
        default="[",
    )
    closing: str = config_field(
        label="Closing text",
        hint="Put after the user's message",
        default="]",
    )


class GlobalConfigSchema(BaseConfigSchema):
    """Settings shared by every chat: the progress shown while preprocessing."""

    show_progress: bool = config_field(
        label="Show progress",
        hint="Walk a status block through its states before answering",
        default=False,
    )
    seconds_per_state: float = config_field(
        label="Seconds per state",
        hint="Pause before each status change",
        default=0.0,
    )


async def preprocess_prompt(
    ctl: PromptPreprocessorController[ConfigSchema, GlobalConfigSchema],
    message: UserMessage,
) -> UserMessageDict | None:
    """Surround the message's parts with the opening and closing texts."""
    if ctl.global_config.show_progress:
        block = await ctl.notify_start("Queued")
        pause = ctl.global_config.seconds_per_state
        async with block.notify_aborted("Stopped before bracketing"):
            await asyncio.sleep(pause)
            await block.notify_working("Bracketing")
            await asyncio.sleep(pause)
            await block.notify_waiting("Holding")
            await asyncio.sleep(pause)
            await block.notify_error("A pretend hiccup")
            await asyncio.sleep(pause)
            await block.notify_done("Bracketed")
    opening: TextDataDict = {"type": "text", "text": ctl.plugin_config.opening}
    closing: TextDataDict = {"type": "text", "text": ctl.plugin_config.closing}
    edited = message.to_dict()
    edited["content"] = [opening, *edited["content"], closing]
    await ctl.notify_done("Message bracketed")
    return edited
