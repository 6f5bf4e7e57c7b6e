"""Invalid: defines a config schema but no hook."""

from lmstudio.plugin import BaseConfigSchema, config_field


class ConfigSchema(BaseConfigSchema):
    unused: bool = config_field(label="Unused", default=False)


def list_tools(ctl):  # not a hook name
    return []
