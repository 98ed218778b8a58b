"""A campaign's overview: counts per status, per day, per level and 评价方式, progress against the quota,
the deadline's working days left (the engine's calendar), duplicates, and what is not counted."""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from bot.engine.identifiers import id_check_char
from storage import repository
from tests.dashboard.conftest import ORIGIN, TODAY, logged_in, make_user, store_of
from tests.dashboard.test_applications import HOSTILE, app_ids, say, start
from tests.engine.transcript import BASIC, EDUCATION, ELIGIBLE, TAIL, WORK

OVERVIEW = "/admin/campaigns/cq_hgzy_2023/overview"
JUNIOR = ["工程技术", "是", "是", "助理级", "助理工程师", "2019-06", "三级/高级工", "否", "无"]


def id_number(n: int) -> str:
    body = f"500101199001{n:02d}{100 + n:03d}"[:17]
    return body + id_check_char(body)


def answers(name: str, number: int, eligible: list[str] = ELIGIBLE) -> list[str]:
    basic = [name, BASIC[1], id_number(number), *BASIC[3:]]
    return [*eligible, *basic, *EDUCATION, *WORK, *TAIL, "确认"]


@pytest.fixture
def at() -> Iterator[Callable[[str], None]]:
    """Set the time the store writes (created, updated, events): `at("2023-09-18T02:00:00Z")`."""
    moment = ["2023-09-18T02:00:00Z"]
    original = repository.utc_now
    repository.utc_now = lambda: moment[0]  # type: ignore[assignment]

    def set_time(stamp: str) -> None:
        moment[0] = stamp

    yield set_time
    repository.utc_now = original  # type: ignore[assignment]


def text_of(page: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def table_rows(page: str, table_id: str) -> dict[str, list[str]]:
    body = page.split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0].split("<tbody>", 1)[1]
    rows = {}
    for row in re.findall(r"<tr>(.*?)</tr>", body, re.S):
        cells = [html.unescape(c).strip() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        rows[cells[0]] = cells[1:]
    return rows


def test_counts_days_levels_quota_and_duplicates(client: TestClient, at: Callable[[str], None]) -> None:
    # 2023-09-18 (Monday, Beijing): two complete (二级/技师), one only opened, one who only asked for help.
    at("2023-09-18T02:00:00Z")
    say(client, start(client), *answers("王一", 1))
    say(client, start(client), *answers("王二", 2))
    start(client)
    say(client, start(client), "/help")
    # 2023-09-19 23:30 UTC is 2023-09-20 in Beijing: one complete 三级/高级工, one still filling in.
    at("2023-09-19T23:30:00Z")
    say(client, start(client), *answers("王三", 3, JUNIOR))
    say(client, start(client), "工程技术", "是")
    # 2023-09-20: the same person as 王一 again (same ID number and title level): both are duplicates.
    at("2023-09-20T03:00:00Z")
    say(client, start(client), *answers("王一", 1)[:20])
    # ineligible (员级)
    say(client, start(client), "工程技术", "是", "是", "员级", "结束")

    make_user(client, "jiang")
    logged_in(client, "jiang")
    page = client.get(OVERVIEW)
    assert page.status_code == 200, page.text
    assert page.headers["content-security-policy"].startswith("default-src 'none'")
    body = page.text
    assert 'id="total">6<' in body
    assert "另有 2 人只打开过链接" in body

    statuses = table_rows(body, "status-table")
    review = {
        name: ["0"] for name in ("已寄出", "已收到", "材料退回", "已修改待复核", "审核通过", "审核不通过")
    }
    assert statuses == {"填写中": ["2"], "已生成": ["3"], "不符合条件": ["1"], "已放弃": ["0"], **review}
    # the same numbers in the chart's accessible title
    assert "填写中 2，已生成 3，不符合条件 1，已放弃 0" in body

    days = table_rows(body, "day-table")
    assert days == {
        "2023-09-18 星期一": ["2", "2"],
        "2023-09-20 星期三": ["4", "1"],
    }, days
    # the chart runs from the first day to the deadline (23 days)
    assert body.count('<g class="day">') == (dt.date(2023, 10, 10) - dt.date(2023, 9, 18)).days + 1

    levels = table_rows(body, "level-table")
    assert levels["二级/技师"] == ["3", "2"] and levels["三级/高级工"] == ["1", "1"], levels
    methods = table_rows(body, "method-table")
    assert methods == {"考核评价": ["1"], "综合评审": ["2"]}, methods

    # quota: 3 generated of 130; of them 技师/高级技师 2 of 120
    assert 'id="quota-done">3<' in body and 'id="quota-target">130<' in body
    assert "2</strong> / 120" in body
    assert "渝职鉴发〔2023〕22号" in body and 'width="2.3%"' in body  # 3/130 as the bar's length

    # duplicates: the two 王一 applications, linked
    assert re.search(r'id="duplicate-count">.*?2 份', body, re.S)
    dup_section = body.split('id="duplicates"', 1)[1].split("</ul>", 1)[0]
    assert len(app_ids(dup_section)) == 2 and dup_section.count("王一") == 2
    assert "王二" not in dup_section


def test_working_days_left_use_the_engine_calendar(client: TestClient) -> None:
    make_user(client, "jiang")
    logged_in(client, "jiang")
    body = client.get(OVERVIEW).text
    calendar = client.app.state.intake.registry.calendar  # type: ignore[attr-defined]
    expected = calendar.workdays_between(TODAY, dt.date(2023, 10, 10))
    # 2023-09-21 … 2023-10-10: the Mid-Autumn and National Day holiday (09-29 … 10-06) is not counted,
    # the make-up Saturday 10-07 and Sunday 10-08 are.
    assert expected == 10
    assert f'id="workdays-left">{expected}<' in body
    assert '2023-10-10 <span class="muted">星期二' in body
    assert "不含今天，含截止日" in body and "今天 2023-09-20 星期三" in body
    assert "还没有申报" in body and "另有 0 人只打开过链接" in body


def test_deadline_passed(settings, clock) -> None:  # type: ignore[no-untyped-def]
    from bot.app import create_app

    app = create_app(settings, clock=lambda: dt.date(2023, 10, 13))
    app.state.admin_clock = clock
    with TestClient(app, base_url=ORIGIN, follow_redirects=False) as late:
        make_user(late, "jiang")
        logged_in(late, "jiang")
        body = late.get(OVERVIEW).text
    assert "已截止" in body and "已过 3 天" in body and 'id="workdays-left"' not in body


def test_hostile_values_are_text(client: TestClient, at: Callable[[str], None]) -> None:
    at("2023-09-19T02:00:00Z")
    say(client, start(client), *answers("王五", 5)[:20])
    say(client, start(client), *answers("王六", 5)[:20])  # the same ID number: both flagged
    # This form refuses such names (姓名 is checked); another form may not, and stored data outlives
    # checks: write hostile values into the stored answers and level directly.
    store = store_of(client)
    first, second = sorted(
        store.read(lambda: [r[0] for r in store.db.execute("SELECT id FROM applications").fetchall()])
    )
    for app_id, name in ((first, HOSTILE), (second, "{{ 7*7 }}\ud800")):
        app = store.get(app_id)
        assert app is not None
        state = {**app.state, "answers": {**app.state["answers"], "name": name}}
        level = "<script>alert(1)</script>级" if app_id == first else None
        store.record_turn(
            app_id, channel="web", kind="text", payload={}, accepted=False, state=state, level=level
        )
    make_user(client, "jiang")
    logged_in(client, "jiang")
    page = client.get(OVERVIEW)
    assert page.status_code == 200
    body = page.text
    assert "<img src=x" not in body and "<script>alert" not in body
    svg = body.split('id="level-t"', 1)[1].split("</svg>", 1)[0]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;级" in svg  # inside the SVG, as text
    dup_section = body.split('id="duplicates"', 1)[1].split("</ul>", 1)[0]
    assert "&lt;img src=x onerror=alert(1)&gt;" in dup_section
    assert "{{ 7*7 }}" in dup_section and ">49<" not in body


def test_other_institutions_and_bad_ids_are_404(client: TestClient) -> None:
    make_user(client, "jiang")
    make_user(client, "other", institution="cq-zjzx")
    logged_in(client, "other")
    for url in (
        OVERVIEW,
        "/admin/campaigns/no_such_campaign/overview",
        "/admin/campaigns/%3Cscript%3E/overview",
        "/admin/campaigns/" + "a" * 5000 + "/overview",
        "/admin/campaigns/%ED%A0%80/overview",
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "没有找到，或您没有查看权限" in response.text
    anonymous = TestClient(client.app, base_url=ORIGIN, follow_redirects=False)
    assert anonymous.get(OVERVIEW).status_code == 303


def test_campaign_without_quota(client: TestClient) -> None:
    make_user(client, "boss", role="admin", institution=None)
    logged_in(client, "boss")
    say(client, start(client, "cq_yzj8_filing_2022"), "是")
    page = client.get("/admin/campaigns/cq_yzj8_filing_2022/overview")
    assert page.status_code == 200
    assert 'id="no-quota">未设定名额' in page.text and 'class="progress"' not in page.text
    assert 'id="total">1<' in page.text
    assert "method-table" not in page.text  # the filing form has no 评价方式


def test_list_links_to_the_overview(client: TestClient) -> None:
    make_user(client, "jiang")
    logged_in(client, "jiang")
    assert f'href="{OVERVIEW}"' in client.get("/admin/campaigns/cq_hgzy_2023").text
    assert f'href="{OVERVIEW}"' in client.get("/admin/campaigns").text


def test_day_chart_range() -> None:
    from bot.dashboard.overview import MAX_DAYS, MIN_DAYS, day_chart
    from bot.engine.workdays import WorkCalendar
    from storage.campaign_stats import CampaignStats

    def stats(started: dict[dt.date, int]) -> CampaignStats:
        return CampaignStats({}, 0, started, {}, {})

    calendar = WorkCalendar()
    assert day_chart(stats({}), dt.date(2023, 10, 10), TODAY, calendar) is None
    one = day_chart(stats({dt.date(2022, 9, 20): 3}), dt.date(2022, 5, 10), TODAY, calendar)
    assert one is not None and len(one["days"]) == MIN_DAYS and one["last"] == "2022-09-20"
    assert one["top"] == 3 and one["days"][-1]["s_h"] == 140.0 and not one["cut"]
    long = {dt.date(2023, 1, 1) + dt.timedelta(days=i): 1 for i in range(0, 300, 3)}
    many = day_chart(stats(long), dt.date(2023, 10, 10), TODAY, calendar)
    assert many is not None and len(many["days"]) == MAX_DAYS and many["cut"] and many["last"] == "2023-10-25"
    assert not many["show_values"]
    # holidays shaded as rest days, a make-up Saturday not
    rest = {d["date"]: d["rest"] for d in many["days"]}
    assert rest["2023-10-02"] and rest["2023-10-07"] is False and rest["2023-10-10"] is False
