"""Fill a data directory with many applications for one campaign, fast, for the list benchmark.

    python benchmarks/generate_applications.py --data-dir DIR [--count 20000] [--seed 1]

Real encrypted states: the flagship conversation (`INPUTS` in _common.py) is run once through the engine,
its states kept at three points (a few answers, half the form, complete); each application takes one of
them with its own name, ID number, unit and phone, sealed under the store's key as `Store.record_turn`
seals it. Then, in one write transaction: the applications (mixed statuses, levels, creation times over 60
days), three answer events each (sealed), the list facets (migration 11), the search keys (name, unit,
phone tail; a waybill number for a third of the complete ones), and the duplicate-check keys (1 in 50
applicants applies twice with the same ID number). About 5 % are opened and never answered.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from _common import FLAGSHIP_CAMPAIGN, FORMS, INPUTS, TEMPLATES, TODAY, chdir_root

CAMPAIGN = "cq_hgzy_2023"
LEVELS = ("三级/高级工", "二级/技师", "一级/高级技师")
OCCUPATIONS = ("化工总控工", "化学检验员")
UNITS = tuple(f"重庆第{i}化工有限公司" for i in range(1, 301))


def waybill(index: int) -> str:
    return f"SF{1000000000 + index * 7919 % 9000000000}"


def _states() -> dict[str, dict[str, Any]]:
    """The flagship conversation's state after 3 inputs, after 20, and complete."""
    from bot.engine.flow import step
    from bot.registry import Registry

    registry = Registry.load(FORMS, TEMPLATES)
    program, campaign = registry.resolve(CAMPAIGN)
    state: dict[str, Any] = {}
    kept: dict[str, dict[str, Any]] = {}
    for n, text in enumerate(INPUTS, 1):
        event = {"type": "start"} if text == "/start" else {"type": "text", "text": text}
        state, _ = step(program, state, event, today=TODAY, campaign=campaign)
        if n in (4, 21):
            kept["early" if n == 4 else "half"] = state
    kept["complete"] = state
    assert state.get("status") == "complete", state.get("status")
    return kept


def generate(data_dir: Path, count: int, seed: int = 1) -> dict[str, Any]:
    from bot.engine.duplicates import duplicate_keys
    from bot.engine.evaluate import evaluate
    from bot.engine.identifiers import id_check_char
    from bot.list_facets import facets, phone_tail
    from bot.registry import Registry
    from storage import Store, resume_codes, search
    from storage.sealed import aad, event_aad

    started = time.perf_counter()
    rng = random.Random(seed)
    registry = Registry.load(FORMS, TEMPLATES)
    program, campaign = registry.resolve(CAMPAIGN)
    states = _states()
    evaluations = {k: evaluate(program, s, TODAY, campaign) for k, s in states.items()}
    data_dir.mkdir(parents=True, exist_ok=True)
    store = Store(data_dir)
    keys = store.keys
    apps: list[list[Any]] = []
    events: list[list[Any]] = []
    facet_rows: list[list[Any]] = []
    search_rows: list[list[Any]] = []
    dup_rows: list[list[Any]] = []
    codes: set[str] = set()
    origin = dt.datetime(2023, 7, 20, tzinfo=dt.UTC)
    counts: dict[str, int] = {}
    previous_id = ""
    for i in range(count):
        app_id = f"{rng.getrandbits(128):032x}"
        code = resume_codes.new_code()
        while code in codes:
            code = resume_codes.new_code()
        codes.add(code)
        roll = rng.random()
        kind, status = (
            ("early", "in_progress") if roll < 0.05 else  # opened, never answered (see `answered`)
            ("early", "in_progress") if roll < 0.15 else
            ("half", "in_progress") if roll < 0.35 else
            ("half", "abandoned") if roll < 0.40 else
            ("complete", "ineligible") if roll < 0.50 else
            ("complete", "complete")
        )  # fmt: skip
        answered = roll >= 0.05
        counts[status] = counts.get(status, 0) + 1
        state = {**states[kind], "answers": dict(states[kind].get("answers") or {})}
        answers = state["answers"]
        if kind != "early":
            body = f"500101{1970 + i % 26:04d}{1 + i % 12:02d}{1 + i % 28:02d}{i % 1000:03d}"
            id_number = body + id_check_char(body)
            if i % 50 == 1 and previous_id:
                id_number = previous_id  # applies twice
            previous_id = id_number
            answers["name"] = (
                "王李张刘陈杨黄赵吴周"[i % 10]
                + "伟芳娜敏静丽强磊军洋"[(i // 10) % 10]
                + ("勇艳杰娟涛明超秀霞平"[(i // 100) % 10])
            )
            answers["id_number"] = id_number
            answers["employer"] = UNITS[i % len(UNITS)]
            answers["contact_phone"] = f"139{i:08d}"
            answers["occupation"] = OCCUPATIONS[i % 2]
        created = origin + dt.timedelta(seconds=rng.randrange(60 * 86400))
        updated = created + dt.timedelta(seconds=rng.randrange(3 * 86400))
        c_at, u_at = (m.strftime("%Y-%m-%dT%H:%M:%SZ") for m in (created, updated))
        level = None if kind == "early" else LEVELS[rng.randrange(3)]
        apps.append(
            [app_id, program.id, CAMPAIGN, "web", status, code, c_at, u_at, level, 3,
             keys.seal_json(state, aad("state", app_id))]
        )  # fmt: skip
        for n, (ekind, accepted) in enumerate((("start", True), ("text", answered), ("text", answered))):
            at = created if n == 0 else updated
            stamp = at.strftime("%Y-%m-%dT%H:%M:%SZ")
            payload = {"type": ekind, "text": "…"} if ekind != "start" else {"type": "start"}
            sealed = keys.seal_json(payload, event_aad(app_id, stamp, "web", ekind, accepted))
            events.append([app_id, stamp, "web", ekind, int(accepted), sealed])
        ev = evaluations[kind]
        found = facets(program, ev, answered)
        occupation = answers.get("occupation") if kind != "early" else None
        facet_rows.append([app_id, int(found.answered), found.eligibility, found.method, occupation])
        if kind != "early":
            for skind, value in (
                ("name", answers["name"]),
                ("unit", answers["employer"]),
                ("phone", phone_tail(answers["contact_phone"])),
            ):
                search_rows.append([app_id, skind, search.key(keys, skind, value)])
            if status == "complete" and i % 3 == 0:
                search_rows.append([app_id, "waybill", search.key(keys, "waybill", waybill(i))])
            owner = SimpleNamespace(campaign_id=CAMPAIGN)
            blind = lambda text: keys.blind_index(text, domain="duplicates")  # noqa: E731
            for check_id, key in duplicate_keys(program, owner, answers, blind).items():
                if key is not None:
                    dup_rows.append([app_id, check_id, key])
    sealed_s = time.perf_counter() - started

    def insert() -> None:
        db = store.db.conn
        db.executemany(
            "INSERT INTO applications (id, form_id, campaign_id, channel, status, resume_code, created_at, "
            "updated_at, level, event_count, state_enc) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            apps,
        )
        db.executemany(
            "INSERT INTO application_owners (app_id, owner_key, added_at) VALUES (?, ?, ?)",
            [[a[0], a[0], a[6]] for a in apps],
        )
        db.executemany(
            "INSERT INTO answer_events (app_id, at, channel, kind, accepted, payload_enc) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            events,
        )
        db.executemany(
            "INSERT INTO application_facets (app_id, answered, eligibility, method, occupation) "
            "VALUES (?, ?, ?, ?, ?)",
            facet_rows,
        )
        db.executemany(
            "INSERT OR IGNORE INTO search_keys (app_id, kind, key_hmac) VALUES (?, ?, ?)", search_rows
        )
        db.executemany("INSERT INTO duplicate_keys (app_id, check_id, key_hmac) VALUES (?, ?, ?)", dup_rows)

    store.write(insert)
    store.db.execute("ANALYZE")
    store.close()
    return {
        "applications": count,
        "events": len(events),
        "search_keys": len(search_rows),
        "statuses": counts,
        "seconds": round(time.perf_counter() - started, 1),
        "sealing_seconds": round(sealed_s, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--count", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    chdir_root()
    if (args.data_dir / "shenbao.db").exists():
        sys.exit(f"{args.data_dir}/shenbao.db exists: give an empty directory")
    print(generate(args.data_dir, args.count, args.seed))


if __name__ == "__main__":
    assert FLAGSHIP_CAMPAIGN.exists()
    main()
