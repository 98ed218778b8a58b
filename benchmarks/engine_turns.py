"""Engine turns per second on the flagship form, one core.

Replays the complete flagship conversation (every answer, the review and the confirmation) many times
through `bot.engine.flow.step`, timing every turn with `time.perf_counter_ns`. One further batch runs
under cProfile so the result file says where the time goes.

    python benchmarks/engine_turns.py [--conversations 200] [--warmup 10] [--profile-conversations 20]

Target: >= 10,000 turns/s, i.e. <= 100 µs per turn (mean).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import time
from typing import Any

from _common import (
    FLAGSHIP_CAMPAIGN,
    FLAGSHIP_FORM,
    INPUTS,
    TODAY,
    chdir_root,
    inputs_for,
    pin_one_core,
    profile_text,
    summary_us,
    top_functions,
    write_result,
)

from bot.engine.campaign import Campaign
from bot.engine.flow import step
from bot.engine.loader import load_campaign, load_form
from bot.engine.program import FormProgram, bind_campaign

NAME = "engine_turns"
TARGET_TURNS_PER_S = 10_000
TARGET_US_PER_TURN = 100.0


def events_for(index: int) -> tuple[dict[str, Any], ...]:
    return tuple({"type": "text", "text": t} for t in inputs_for(index))


def converse(program: FormProgram, campaign: Campaign, index: int = 0) -> dict[str, Any]:
    """One full conversation, untimed; returns the final state."""
    state: dict[str, Any] | None = None
    for event in events_for(index):
        state, _replies = step(program, state, event, today=TODAY, campaign=campaign)
    assert state is not None
    return state


def converse_timed(
    program: FormProgram, campaign: Campaign, samples: list[int], events: tuple[dict[str, Any], ...]
) -> dict[str, Any]:
    """One full conversation, appending each turn's duration (ns) to `samples`."""
    state: dict[str, Any] | None = None
    clock = time.perf_counter_ns
    for event in events:
        t0 = clock()
        state, _replies = step(program, state, event, today=TODAY, campaign=campaign)
        samples.append(clock() - t0)
    assert state is not None
    return state


def check_complete(state: dict[str, Any]) -> None:
    if (state.get("mode"), state.get("status")) != ("done", "complete"):
        raise SystemExit(
            f"conversation did not complete: mode={state.get('mode')!r} status={state.get('status')!r}; "
            "the form or the engine changed — update INPUTS in benchmarks/_common.py"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--profile-conversations", type=int, default=20)
    args = parser.parse_args()

    chdir_root()
    cpu = pin_one_core()
    campaign = load_campaign(FLAGSHIP_CAMPAIGN)
    program = bind_campaign(load_form(FLAGSHIP_FORM), campaign.lists)

    check_complete(converse(program, campaign))
    for i in range(args.warmup):
        converse(program, campaign, 100_000 + i)
    conversations = [events_for(i + 1) for i in range(args.conversations)]

    # Timed run: per-turn samples plus the wall time of the whole batch.
    samples: list[int] = []
    gc.collect()
    t0 = time.perf_counter_ns()
    for events in conversations:
        converse_timed(program, campaign, samples, events)
    wall_ns = time.perf_counter_ns() - t0
    turns = len(samples)
    turns_per_s = turns / (wall_ns / 1e9)
    per_turn = summary_us(samples)

    # Per turn position: which questions are expensive (mean µs over all conversations).
    per_position: list[dict[str, Any]] = []
    n = len(INPUTS)
    for i, text in enumerate(INPUTS):
        column = samples[i::n]
        per_position.append({"turn": i, "text": text, "mean_us": round(sum(column) / len(column) / 1000, 1)})

    # One profiled batch (cProfile adds overhead; use it for proportions, not absolute speed).
    profiler = cProfile.Profile()
    profiler.enable()
    for i in range(args.profile_conversations):
        converse(program, campaign, 200_000 + i)
    profiler.disable()

    met = per_turn["mean"] <= TARGET_US_PER_TURN and turns_per_s >= TARGET_TURNS_PER_S
    result: dict[str, Any] = {
        "conversations": args.conversations,
        "turns_per_conversation": n,
        "turns": turns,
        "pinned_cpu": cpu,
        "wall_s": round(wall_ns / 1e9, 4),
        "turns_per_s": round(turns_per_s, 1),
        "conversations_per_s": round(args.conversations / (wall_ns / 1e9), 2),
        "us_per_turn": {k: round(v, 1) for k, v in per_turn.items()},
        "target": {"turns_per_s": TARGET_TURNS_PER_S, "us_per_turn_mean": TARGET_US_PER_TURN},
        "target_met": met,
        "slowest_turns": sorted(per_position, key=lambda p: -p["mean_us"])[:8],
        "per_turn_position": per_position,
        "profile": {
            "conversations": args.profile_conversations,
            "top_cumulative": top_functions(profiler, "cumulative"),
            "top_tottime": top_functions(profiler, "tottime"),
            "cumulative_text": profile_text(profiler, "cumulative"),
            "tottime_text": profile_text(profiler, "tottime"),
        },
    }
    path = write_result(NAME, result)

    print(f"engine turns — flagship form, {args.conversations} conversations × {n} turns, cpu {cpu}")
    print(f"  turns/s        {turns_per_s:>10,.0f}   (target ≥ {TARGET_TURNS_PER_S:,})")
    print(
        "  µs/turn        mean {mean:.1f}  p50 {p50:.1f}  p95 {p95:.1f}  p99 {p99:.1f}  max {max:.1f}".format(
            **per_turn
        )
        + f"   (target ≤ {TARGET_US_PER_TURN:.0f})"
    )
    print(f"  conversations/s {args.conversations / (wall_ns / 1e9):.1f}")
    print(f"  target {'MET' if met else 'MISSED'}")
    print("  slowest turns (mean µs):")
    for p in result["slowest_turns"]:
        print(f"    #{p['turn']:<3} {p['text'][:24]:<24} {p['mean_us']:>9.1f}")
    print(f"  profile: top 15 by tottime ({args.profile_conversations} conversations, under cProfile):")
    for row in result["profile"]["top_tottime"]:
        print(f"    {row['tottime_s']:>8.3f}s  {row['ncalls']:>8}  {row['function']}")
    print(f"  → {path}")


if __name__ == "__main__":
    main()
