"""The conversation state: a plain JSON value, wrapped for editing during one step."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.engine.program import FieldInfo, FormProgram

STATE_VERSION = 1
MORE = "more"


def new_state(program: FormProgram) -> dict[str, Any]:
    return {
        "v": STATE_VERSION,
        "form": program.id,
        "started": False,
        "mode": "asking",
        "status": "in_progress",
        "answers": {},
        "skipped": [],
        "closed": [],
        "history": [],
        "previous": {},
        "shown": [],
        "pending": {},
        "editing": None,
        "edit_row": None,
    }


@dataclass(frozen=True)
class Slot:
    """One place an answer goes: a field, a cell of a repeat group, or a group's 'add another row?'."""

    key: str
    info: FieldInfo | None
    group: str | None = None
    row: int | None = None

    @property
    def is_more(self) -> bool:
        return self.info is None


def cell_key(group: str, row: int, column: str) -> str:
    return f"{group}.{row}.{column}"


def parse_key(program: FormProgram, key: str) -> Slot | None:
    """A state key back to its slot; None when it names nothing in this form."""
    if key in program.fields and program.fields[key].group is None:
        return Slot(key, program.fields[key])
    parts = key.split(".")
    if len(parts) == 2 and parts[0] in program.groups and parts[1] == MORE:
        return Slot(key, None, parts[0])
    if len(parts) == 3 and parts[0] in program.groups and parts[1].isdigit():
        info = program.fields.get(f"{parts[0]}.{parts[2]}")
        if info is not None:
            return Slot(key, info, parts[0], int(parts[1]))
    return None


class Session:
    """A copy of the state that one step may change; `dump()` gives the new plain value."""

    def __init__(self, state: dict[str, Any]) -> None:
        self.data = dict(state)
        self.answers: dict[str, Any] = dict(state.get("answers", {}))
        self.skipped: list[str] = list(state.get("skipped", []))
        self.closed: list[str] = list(state.get("closed", []))
        self.history: list[str] = list(state.get("history", []))
        self.previous: dict[str, Any] = dict(state.get("previous", {}))
        self.shown: list[str] = list(state.get("shown", []))
        self.pending: dict[str, str] = dict(state.get("pending", {}))

    def dump(self) -> dict[str, Any]:
        out = dict(self.data)
        out.update(
            answers=self.answers,
            skipped=self.skipped,
            closed=self.closed,
            history=self.history,
            previous=self.previous,
            shown=self.shown,
            pending=self.pending,
        )
        return out

    def view(self) -> dict[str, Any]:
        return {"answers": self.answers, "skipped": self.skipped, "closed": self.closed}

    @property
    def mode(self) -> str:
        return str(self.data.get("mode", "asking"))

    @mode.setter
    def mode(self, value: str) -> None:
        self.data["mode"] = value

    def get(self, slot: Slot) -> Any:
        if slot.group is None:
            return self.answers.get(slot.key)
        if slot.is_more:
            return None
        rows = self.answers.get(slot.group) or []
        if slot.row is None or slot.row >= len(rows) or slot.info is None:
            return None
        return rows[slot.row].get(slot.info.id)

    def has(self, slot: Slot) -> bool:
        if slot.group is None:
            return slot.key in self.answers
        rows = self.answers.get(slot.group) or []
        return (
            slot.row is not None
            and slot.row < len(rows)
            and slot.info is not None
            and slot.info.id in rows[slot.row]
        )

    def put(self, slot: Slot, value: Any) -> None:
        if slot.group is None:
            self.answers[slot.key] = value
        elif slot.info is not None and slot.row is not None:
            rows = [dict(r) for r in self.answers.get(slot.group) or []]
            while len(rows) <= slot.row:
                rows.append({})
            rows[slot.row][slot.info.id] = value
            self.answers[slot.group] = rows
        if slot.key in self.skipped:
            self.skipped.remove(slot.key)
        self.pending.pop(slot.key, None)
        self.previous.pop(slot.key, None)

    def remove(self, slot: Slot) -> None:
        """Take an answer back, keeping it in `previous` so the applicant can keep it."""
        if slot.is_more and slot.group in self.closed:
            self.closed.remove(slot.group)
            return
        if self.has(slot):
            self.previous[slot.key] = self.get(slot)
        if slot.group is None:
            self.answers.pop(slot.key, None)
        elif slot.info is not None and slot.row is not None:
            rows = [dict(r) for r in self.answers.get(slot.group) or []]
            if slot.row < len(rows):
                rows[slot.row].pop(slot.info.id, None)
                if not rows[slot.row] and slot.row == len(rows) - 1:
                    rows.pop()
            self.answers[slot.group] = rows
        if slot.key in self.skipped:
            self.skipped.remove(slot.key)

    def remember(self, key: str) -> None:
        if key in self.history:
            self.history.remove(key)
        self.history.append(key)
