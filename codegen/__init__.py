"""Generator of ``lmstudio/_protocol`` from LM Studio's protocol JSON Schema."""
