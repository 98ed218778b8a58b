"""Drive the engine with a list of inputs and read the replies back (transcript tests)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from bot.engine.campaign import Campaign
from bot.engine.flow import step
from bot.engine.program import FormProgram
from bot.engine.replies import Reply

TODAY = dt.date(2023, 9, 20)

# Eligibility answers of a 中级 engineer applying for 二级/技师 (8号 二(一)).
ELIGIBLE = ["工程技术", "是", "是", "中级", "工程师", "2018-06", "二级/技师", "否", "无"]
BASIC = [
    "张三",
    "居民身份证",
    "50010119900101123X",
    "是",  # confirm gender derived from the ID
    "是",  # confirm birth month derived from the ID
    "汉族",
    "重庆江北",
    "群众",
    "2012-07",
    "化工总控工",
    "重庆某化工有限公司",
    "李四",
    "13800138000",
    "重庆市江北区1号",
    "400020",
]
EDUCATION = ["本科", "2012-06", "重庆大学", "化学工程", "跳过", "否"]
WORK = ["2012-07", "至今", "重庆某化工有限公司", "工程师", "否"]
TAIL = ["主持某装置技术改造，年节约成本50万元", "跳过"]
COMPLETE = ELIGIBLE + BASIC + EDUCATION + WORK + TAIL


@dataclass
class Chat:
    program: FormProgram
    campaign: Campaign | None
    today: dt.date = TODAY
    state: dict[str, Any] = field(default_factory=dict)
    log: list[tuple[str, list[Reply]]] = field(default_factory=list)

    def start(self) -> list[Reply]:
        return self.event({"type": "start"}, "/start")

    def say(self, *texts: str) -> list[Reply]:
        replies: list[Reply] = []
        for text in texts:
            replies = self.event({"type": "text", "text": text}, text)
        return replies

    def event(self, event: dict[str, Any], label: str) -> list[Reply]:
        self.state, replies = step(self.program, self.state, event, today=self.today, campaign=self.campaign)
        json.dumps(self.state)  # the state stays a plain JSON value
        self.log.append((label, replies))
        return replies

    @property
    def last(self) -> list[Reply]:
        return self.log[-1][1]

    def question(self) -> Reply:
        found = [r for r in self.last if r.kind == "question"]
        assert found, f"no question in {[r.text for r in self.last]}"
        return found[-1]

    def asked(self) -> str:
        return str(self.question().data["key"])

    def kinds(self) -> list[str]:
        return [r.kind for r in self.last]

    def text(self) -> str:
        return "\n".join(r.text for r in self.last)

    @property
    def answers(self) -> dict[str, Any]:
        return dict(self.state.get("answers", {}))
