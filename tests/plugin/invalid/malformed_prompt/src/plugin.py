"""Invalid at run time: the preprocessor answers something that is not a user message."""


def preprocess_prompt(ctl, message):
    return {"role": "user", "content": [{"type": "image", "what": "not a part"}]}
