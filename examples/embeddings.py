#!/usr/bin/env python
"""Embeddings, awaited: rank sentences by similarity to a query.

    python examples/embeddings.py [--host HOST:PORT] [--model KEY]

Uses any loaded embedding model, else loads the first one downloaded. The same methods
that block with ``.result()`` are awaited here.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import sys

import lmstudio as lms

QUERY = "How do I bake bread?"
SENTENCES = [
    "Knead the dough and let it rise before baking.",
    "The stock market closed higher today.",
    "Preheat the oven to bake a crusty loaf.",
]


def cosine(a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    return dot / (math.hypot(*a) * math.hypot(*b))


async def main(host: str | None, key: str | None) -> int:
    async with lms.Client(host) as client:
        if key is None:
            loaded = await client.embedding.list_loaded()
            if loaded:
                model = loaded[0]
            else:
                downloaded = await client.embedding.list_downloaded()
                if not downloaded:
                    print("No embedding model is downloaded in LM Studio.", file=sys.stderr)
                    return 2
                model = await downloaded[0].model(show_progress=True)  # loads it just in time
        else:
            model = await client.embedding.model(key)
        # Both requests run concurrently.
        query, vectors = await asyncio.gather(model.embed(QUERY), model.embed(SENTENCES))
        print(f"Embedding model: {model.identifier} ({len(query)} dimensions)")
        print(f"Query: {QUERY}")
        ranked = sorted(zip(SENTENCES, vectors, strict=True), key=lambda p: -cosine(query, p[1]))
        for sentence, vector in ranked:
            print(f"  {cosine(query, vector):+.3f}  {sentence}")
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", help="LM Studio's host:port (default: find it)")
    parser.add_argument("--model", help="embedding model key (default: any loaded)")
    args = parser.parse_args()
    try:
        sys.exit(asyncio.run(main(args.host, args.model)))
    except lms.LMStudioError as exc:  # no LM Studio, a model not found...: one line
        sys.exit(f"error: {exc}")
