"""A tools provider: offers ``roll_dice`` to any model that chats with this plugin enabled.

Run: ``python -m lmstudio.plugin examples/plugins/dice-tool --dev``
"""

from __future__ import annotations

import random

from lmstudio.plugin import (
    BaseConfigSchema,
    ToolsProviderController,
    config_field,
    get_tool_call_context,
)


class ConfigSchema(BaseConfigSchema):
    """Per-chat settings, shown in LM Studio's plugin panel."""

    polyhedral_only: bool = config_field(
        label="Polyhedral dice only",
        hint="Refuse dice other than d4, d6, d8, d10, d12, d20 and d100",
        default=True,
    )
    max_dice: int = config_field(
        label="Most dice per roll", hint="Refuse larger rolls", default=20, min=1, max=100
    )


POLYHEDRAL = (4, 6, 8, 10, 12, 20, 100)


def list_provided_tools(ctl: ToolsProviderController[ConfigSchema, BaseConfigSchema]) -> list:
    """The tools of one chat session (built from that chat's config)."""
    config = ctl.plugin_config

    def roll_dice(count: int, sides: int) -> dict:
        """Roll `count` dice with `sides` faces each (2d6 is count=2, sides=6).

        Args:
            count: how many dice to roll.
            sides: how many faces each die has.
        """
        if config.polyhedral_only and sides not in POLYHEDRAL:
            raise ValueError(f"a d{sides} is not a polyhedral die (use one of {POLYHEDRAL})")
        if not 1 <= count <= config.max_dice:
            raise ValueError(f"roll between 1 and {config.max_dice} dice")
        get_tool_call_context().notify_status(f"Rolling {count}d{sides}...")
        rolls = [random.randint(1, sides) for _ in range(count)]
        return {"rolls": rolls, "total": sum(rolls)}

    return [roll_dice]
