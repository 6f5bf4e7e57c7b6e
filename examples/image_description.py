#!/usr/bin/env python
"""Describe an image with a vision model.

    python examples/image_description.py [IMAGE] [--host HOST:PORT] [--model KEY]

Without IMAGE, a small red square is drawn. Uses the loaded LLM if it has vision, else
the first downloaded vision model (loaded just in time).
"""

from __future__ import annotations

import argparse
import struct
import sys
import zlib

import lmstudio as lms


def red_square(size: int = 64) -> bytes:
    """A ``size`` x ``size`` red PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    rows = b"".join(b"\x00" + b"\xdd\x22\x22" * size for _ in range(size))
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def vision_model(client: lms.Client, key: str | None) -> lms.LLM | None:
    if key is not None:
        return client.llm.model(key).result()
    loaded = [m for m in client.llm.list_loaded().result() if m.model_info.vision]
    if loaded:
        return loaded[0]
    downloaded = [m for m in client.llm.list_downloaded().result() if m.info.vision]
    return downloaded[0].model().result() if downloaded else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("image", nargs="?", help="an image file (default: a red square)")
    parser.add_argument("--host", help="LM Studio's host:port (default: find it)")
    parser.add_argument("--model", help="vision model key (default: find one)")
    args = parser.parse_args()

    with lms.Client(args.host) as client:
        model = vision_model(client, args.model)
        if model is None:
            print("Skipped: no vision model is downloaded in LM Studio (pass --model KEY)")
            return 0
        if args.image:
            image = client.files.prepare_image(args.image).result()
        else:
            image = client.files.prepare_image(red_square(), "red.png").result()
        chat = lms.Chat()
        chat.add_user_message("Describe this image in one sentence.", images=[image])
        print(f"{model.identifier} looks at {image.name}:")
        for fragment in model.respond_stream(chat):
            print(fragment.content, end="", flush=True)
        print()
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except lms.LMStudioError as exc:  # no LM Studio, a model not found...: one line
        sys.exit(f"error: {exc}")
