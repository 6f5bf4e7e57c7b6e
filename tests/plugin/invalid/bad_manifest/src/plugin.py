def list_provided_tools(ctl):
    return []
