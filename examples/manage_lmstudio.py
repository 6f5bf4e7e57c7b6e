#!/usr/bin/env python
"""Manage LM Studio: the hardware, the engines, a memory estimate before loading, LM Link.

    python examples/manage_lmstudio.py [--host HOST:PORT] [--model KEY] [--keep]

Surveys the hardware the selected engines see, lists the installed engines and which one
each model format uses, estimates the memory a model needs and loads it only if LM
Studio's guardrails allow it (then unloads it again unless ``--keep``), and shows LM Link's
devices. Independent requests are started together and then collected.
"""

from __future__ import annotations

import argparse
import sys

import lmstudio as lms

GIB = 1024**3


def survey(client: lms.Client) -> None:
    # Three independent calls in flight at once; .result() collects each.
    hardware = client.runtime.survey_hardware()
    engines = client.runtime.list_engines()
    selections = client.runtime.get_engine_selections()
    print("Hardware:")
    for engine in hardware.result().engines:
        memory = engine.memory_info
        gpus = [gpu.name for gpu in engine.hardware_survey.gpu_survey_result.gpu_info]
        print(
            f"  {engine.name} {engine.version}: {engine.compatibility.status}, "
            f"RAM {memory.ram_capacity / GIB:.1f} GiB, VRAM {memory.vram_capacity / GIB:.1f} GiB, "
            f"GPUs: {', '.join(gpus) or 'none'}"
        )
    print("Engines installed:")
    for engine in engines.result():
        print(
            f"  {engine.name} {engine.version} ({', '.join(engine.supported_model_format_names)})"
        )
    print("Engine per model format:")
    for model_format, engine in sorted(selections.result().items()):
        print(f"  {model_format}: {engine.name} {engine.version}")


def estimate_then_load(client: lms.Client, key: str | None, *, keep: bool) -> int:
    if key is None:
        downloaded = client.llm.list_downloaded().result()
        if not downloaded:
            print("No LLM is downloaded in LM Studio.", file=sys.stderr)
            return 2
        key = downloaded[0].model_key
    config = {"context_length": 4096}
    usage = client.llm.estimate_usage(key, config=config).result()
    memory = usage.memory
    print(
        f"Loading {key} with a {config['context_length']}-token context needs about "
        f"{memory.total_bytes / GIB:.2f} GiB ({memory.confidence} confidence)."
    )
    if not usage.passes_guardrails:
        print("LM Studio's guardrails would refuse to load it: not loading.")
        return 0
    model = client.llm.load_new_instance(key, config=config, ttl=300).result()
    print(f"Loaded {model.identifier}: {model.get_context_length().result()} tokens of context.")
    if not keep:
        model.unload().result()
        print(f"Unloaded {model.identifier}.")
    return 0


def lm_link(client: lms.Client) -> None:
    status = client.lm_link.status().result()
    print(f"LM Link: {status.status} as {status.device_name!r} ({status.device_identifier})")
    for issue in status.issues:
        print(f"  issue: {issue}")
    for peer in status.peers:
        print(f"  peer {peer.device_name!r} ({peer.device_identifier}): {peer.status}")


def main(host: str | None, key: str | None, *, keep: bool) -> int:
    with lms.Client(host) as client:
        version = client.system.version().result()
        print(f"LM Studio {version.version} (build {version.build:g})")
        survey(client)
        status = estimate_then_load(client, key, keep=keep)
        lm_link(client)
    return status


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", help="LM Studio's host:port (default: find it)")
    parser.add_argument(
        "--model", help="the LLM to estimate and load (default: the first downloaded)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the model loaded afterwards")
    args = parser.parse_args()
    try:
        sys.exit(main(args.host, args.model, keep=args.keep))
    except lms.LMStudioError as exc:  # no LM Studio, a model not found...: one line
        sys.exit(f"error: {exc}")
