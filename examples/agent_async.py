#!/usr/bin/env python
"""An agent with an async tool, awaited, its events consumed with ``async for``.

    python examples/agent_async.py [--host HOST:PORT] [--model KEY]

An ``async def`` tool runs on the loop that awaits the act (here ``asyncio.run``'s), so
it can use that loop's resources; plain tools run in worker threads. Iterating the act
gives typed events: fragments with their round, each tool call as it is requested and
when its result is ready.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

import lmstudio as lms

FORECASTS = {"paris": "sunny, 24 °C", "oslo": "snow, -3 °C"}


async def get_weather(city: str) -> str:
    """Get today's weather forecast for a city."""
    await asyncio.sleep(0.05)  # an HTTP request would go here
    return FORECASTS.get(city.lower(), "no forecast for that city")


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", help="LM Studio's host:port (default: find it)")
    parser.add_argument("--model", help="model key (default: any loaded LLM)")
    args = parser.parse_args()

    async with lms.Client(args.host) as client:
        try:
            model = await client.llm.model(args.model)
        except lms.LMStudioModelNotFoundError as exc:
            print(f"{exc}\n(load a model in LM Studio, or pass --model KEY)", file=sys.stderr)
            return 2
        act = model.act('What is the weather in "Paris"? Use get_weather.', [get_weather])
        async for event in act:
            match event:
                case lms.RoundStarted(round_index=index):
                    print(f"[round {index}]")
                case lms.RoundFragment(fragment=fragment):
                    print(fragment.content, end="", flush=True)
                case lms.ToolCallRequested(request=request):
                    print(f"-> {request.name}({request.arguments})")
                case lms.ToolCallCompleted(result=result, outcome=outcome):
                    print(f"<- {outcome}: {result.content}")
        result = await act
        print(f"\nDone in {result.rounds} rounds ({result.total_time_seconds:.2f} s)")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(asyncio.run(main()))
    except lms.LMStudioError as exc:  # no LM Studio, a model not found...: one line
        sys.exit(f"error: {exc}")
