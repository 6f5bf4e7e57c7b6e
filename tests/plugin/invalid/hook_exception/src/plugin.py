"""Invalid at run time: every hook raises."""


def list_provided_tools(ctl):
    raise RuntimeError("tools listing exploded")


async def preprocess_prompt(ctl, message):
    raise RuntimeError("preprocessing exploded")


def generate(ctl, chat):
    ctl.fragment_generated("partial ")
    raise RuntimeError("generation exploded")
