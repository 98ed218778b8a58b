"""The applications list: filters (status, level, method, eligibility, occupation, dates, duplicates),
search through blind-indexed keys (name, unit, phone tail, waybill) kept out of addresses, counts, sort,
pages, the never-answered toggle, bad and hostile input, other institutions (404), and the audited reveal of
a full ID number."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from bot.dashboard import search_handles
from bot.engine.identifiers import id_check_char
from bot.engine.loader import load_form
from bot.engine.yamlsource import SpecErrors
from bot.settings import ROOT
from storage import list_query, search
from tests.dashboard.conftest import ORIGIN, audit_actions, csrf_of, logged_in, make_user, store_of
from tests.dashboard.test_applications import FULL_ID, app_ids, say, start
from tests.engine.transcript import BASIC, COMPLETE, ELIGIBLE

LIST = "/admin/campaigns/cq_hgzy_2023"
HOSTILE_NAME = "<script>alert(1)</script>"


def other_id(serial: str) -> str:
    body = f"50010119850315{serial}"
    return body + id_check_char(body)


def answers(name: str, id_number: str, unit: str, phone: str, occupation: str = "化工总控工") -> list[str]:
    basic = list(BASIC)
    basic[0], basic[2], basic[9], basic[10], basic[12] = name, id_number, occupation, unit, phone
    return ELIGIBLE + basic + COMPLETE[len(ELIGIBLE) + len(BASIC) :]


@pytest.fixture
def apps(client: TestClient) -> dict[str, str]:
    """complete (张三), its duplicate (same ID number and title level, in progress), 王五 (in progress, other
    unit and phone, 化学检验员), an ineligible one, a partial one, one never answered."""
    made: dict[str, str] = {}
    tokens = {}
    tokens["zhang"] = start(client)
    say(client, tokens["zhang"], *COMPLETE, "确认")
    tokens["dup"] = start(client)
    say(client, tokens["dup"], *answers("张三丰", FULL_ID, "别的公司", "13900001111"))
    tokens["hostile"] = start(client)
    say(
        client,
        tokens["hostile"],
        *answers("王五", other_id("123"), "重庆 某某 机械厂", "13912345678", "化学检验员"),
    )
    tokens["ineligible"] = start(client)
    say(client, tokens["ineligible"], "其他")
    tokens["partial"] = start(client)
    say(client, tokens["partial"], "工程技术", "是")
    tokens["unanswered"] = start(client)
    store = store_of(client)
    rows = store.read(lambda: store.db.execute("SELECT id FROM applications ORDER BY rowid").fetchall())
    for name, (app_id,) in zip(tokens, rows, strict=True):
        made[name] = str(app_id)
    return made


def coordinator(client: TestClient, name: str = "jiang", institution: str = "cq-hgzy") -> str:
    make_user(client, name, institution=institution)
    return logged_in(client, name)


def listed(client: TestClient, query: str = "") -> tuple[list[str], str]:
    page = client.get(LIST + query)
    assert page.status_code == 200, page.text
    return app_ids(page.text), page.text


def search_for(client: TestClient, csrf: str, term: str, **filters: str) -> tuple[list[str], str, str]:
    response = client.post(
        LIST + "/list", data={"csrf": csrf, "term": term, **filters}, headers={"Origin": ORIGIN}
    )
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    ids, html = listed(client, location.removeprefix(LIST))
    return ids, html, location


def test_each_filter(client: TestClient, apps: dict[str, str]) -> None:
    coordinator(client)
    ids, html = listed(client)
    assert set(ids) == {apps[k] for k in ("zhang", "dup", "hostile", "ineligible", "partial")}
    assert "另有 1 份只打开过" in html
    assert listed(client, "?status=complete")[0] == [apps["zhang"]]
    assert set(listed(client, "?status=in_progress")[0]) == set(ids) - {apps["zhang"], apps["ineligible"]}
    assert listed(client, "?status=ineligible")[0] == [apps["ineligible"]]  # C10: stopped on a rule
    assert set(listed(client, "?level=二级/技师")[0]) == {apps["zhang"], apps["dup"], apps["hostile"]}
    assert listed(client, "?level=一级/高级技师")[0] == []
    assert set(listed(client, "?eligibility=ineligible")[0]) == {apps["ineligible"]}
    eligible = set(listed(client, "?eligibility=eligible")[0])
    assert apps["ineligible"] not in eligible and apps["partial"] in eligible
    assert listed(client, "?occupation=化学检验员")[0] == [apps["hostile"]]
    assert set(listed(client, "?occupation=化工总控工")[0]) == {apps["zhang"], apps["dup"]}
    methods = set(listed(client, "?dup=0")[0])
    assert set(listed(client, "?dup=1")[0]) == {apps["zhang"], apps["dup"]}
    assert methods == set(ids) - {apps["zhang"], apps["dup"]}
    method = re.search(r'<select name="method">.*?<option value="([^"]+)"', html, re.S)
    assert method, "the method dropdown lists the methods found"
    with_method = set(listed(client, f"?method={method.group(1)}")[0])
    assert apps["zhang"] in with_method and apps["partial"] not in with_method


def test_combined_filters_and_counts(client: TestClient, apps: dict[str, str]) -> None:
    coordinator(client)
    ids, html = listed(client, "?status=in_progress&level=二级/技师&dup=1")
    assert ids == [apps["dup"]]
    # counts per status under the other filters (the status filter itself left out)
    assert re.search(r"全部 <strong>2</strong>", html)
    assert re.search(r"已生成 <strong>1</strong>", html) and re.search(r"填写中 <strong>1</strong>", html)
    assert "有重复申报（1）" in html  # duplicates among in-progress 二级/技师 applications
    assert "共 <strong>1</strong> 份申报" in html
    _ids, everything = listed(client)
    assert re.search(r"全部 <strong>5</strong>", everything)
    assert re.search(r"填写中 <strong>3</strong>", everything) and "有重复申报（2）" in everything
    assert re.search(r"不符合条件 <strong>1</strong>", everything)
    assert "不符合（1）" in everything and "化学检验员（1）" in everything


def test_dates(client: TestClient, apps: dict[str, str]) -> None:
    coordinator(client)
    today = dt.datetime.now(dt.UTC).astimezone(dt.timezone(dt.timedelta(hours=8))).date()
    assert len(listed(client, f"?from={today}&to={today}")[0]) == 5
    assert len(listed(client, f"?date=updated&from={today}")[0]) == 5
    assert listed(client, "?to=2020-01-01")[0] == []
    assert listed(client, f"?from={today + dt.timedelta(days=1)}")[0] == []


def test_search_each_kind_out_of_the_address(client: TestClient, apps: dict[str, str]) -> None:
    csrf = coordinator(client)
    ids, html, location = search_for(client, csrf, "张三")
    assert ids == [apps["zhang"]]  # exact: 张三丰 is not 张三
    assert "张三" not in location and "%E5%BC%A0" not in location and "q=" in location
    assert 'value="张三"' in html  # the term stays in the box, not the address
    assert search_for(client, csrf, " 张 三 ")[0] == [apps["zhang"]]  # spaces ignored
    assert search_for(client, csrf, "重庆某化工有限公司")[0] == [apps["zhang"]]
    assert search_for(client, csrf, "重庆某某机械厂")[0] == [apps["hostile"]]  # spaces in the answer too
    assert search_for(client, csrf, "8000")[0] == [apps["zhang"]]  # 13800138000
    assert search_for(client, csrf, "５６７８")[0] == [apps["hostile"]]  # full-width digits
    assert search_for(client, csrf, "5 6 7 8")[0] == [apps["hostile"]]
    assert search_for(client, csrf, "138001")[0] == []  # a phone is found by its last four only
    store = store_of(client)
    waybill = search.key(store.keys, "waybill", "SF1234567890")
    store.write(
        lambda: store.db.execute(
            "INSERT INTO search_keys (app_id, kind, key_hmac) VALUES (?, 'waybill', ?)",
            [apps["dup"], waybill],
        )
    )
    assert search_for(client, csrf, "sf 1234567890")[0] == [apps["dup"]]
    assert search_for(client, csrf, "ＳＦ１２３４５６７８９０")[0] == [apps["dup"]]
    # search and filters together; paging keeps the handle
    assert search_for(client, csrf, "张三", status="in_progress")[0] == []
    assert search_for(client, csrf, "无此人")[0] == []


def test_search_keys_follow_changed_answers(client: TestClient) -> None:
    token = start(client)
    say(client, token, *answers("王五", FULL_ID, "甲公司", "13700001234"))
    say(client, token, "修改 姓名", "王六")
    csrf = coordinator(client)
    assert search_for(client, csrf, "王六")[0] != []
    assert search_for(client, csrf, "王五")[0] == []


def test_search_handle_bound_to_session_and_campaign(client: TestClient, apps: dict[str, str]) -> None:
    csrf = coordinator(client)
    _ids, _html, location = search_for(client, csrf, "张三")
    handle = parse_qs(urlsplit(location).query)["q"][0]
    client.cookies.clear()
    logged_in(client, "jiang")  # a new session: the handle is not its
    ids, html = listed(client, f"?q={handle}")
    assert "搜索已过期" in html and len(ids) == 5
    ids, html = listed(client, "?q=made-up")
    assert "搜索已过期" in html and len(ids) == 5


def test_search_handle_expires(apps: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    handles = search_handles.SearchHandles(ttl_s=-1)
    handle = handles.add("s", "c", "张三", ())
    assert handles.get(handle, "s", "c") is None
    handles = search_handles.SearchHandles(limit=2)
    first = handles.add("s", "c", "a", ())
    handles.add("s", "c", "b", ())
    handles.add("s", "c", "c", ())
    assert handles.get(first, "s", "c") is None


def test_never_answered_toggle(client: TestClient, apps: dict[str, str]) -> None:
    coordinator(client)
    ids, html = listed(client, "?all=1")
    assert apps["unanswered"] in ids and len(ids) == 6
    assert re.search(r"全部 <strong>6</strong>", html)
    assert apps["unanswered"] not in listed(client)[0]


def test_sort_and_pages(client: TestClient, apps: dict[str, str]) -> None:
    coordinator(client)
    store = store_of(client)

    def created(ids: list[str]) -> list[str]:
        rows = dict(
            store.read(lambda: store.db.execute("SELECT id, created_at FROM applications").fetchall())
        )
        return [rows[i] for i in ids]

    ascending = listed(client, "?sort=created&dir=asc")[0]
    assert len(ascending) == 5 and created(ascending) == sorted(created(ascending))
    descending = listed(client, "?sort=created&dir=desc")[0]
    assert created(descending) == sorted(created(descending), reverse=True)
    by_status = listed(client, "?sort=status&dir=asc")[0]
    assert by_status[0] == apps["zhang"]  # complete < in_progress
    assert listed(client, "?sort=status&dir=desc")[0][-1] == apps["zhang"]
    by_level = listed(client, "?sort=level&dir=asc")[0]
    assert set(by_level[:2]) == {apps["ineligible"], apps["partial"]}  # no level yet first
    store = store_of(client)
    for _ in range(8):
        say(client, start(client), "工程技术")
    _ids, html = listed(client, "?size=10")
    assert "第 1 / 2 页" in html and "size=10" in html and "page=2" in html
    last, html = listed(client, "?size=10&page=999999999999")
    assert len(last) == 3 and "第 2 / 2 页" in html  # past the end: the last page
    assert len(listed(client, "?size=10&page=-5")[0]) == 10
    assert len(listed(client, "?size=abc&page=x")[0]) == 13


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?status=<script>alert(1)</script>", "没有这个状态"),
        ("?status=%ED%A0%80", "没有这个状态"),
        ("?eligibility={{ 7*7 }}", "没有这个条件判断结果"),
        ("?from=2023-13-45", "格式不对"),
        ("?from=0001-01-01", "格式不对"),
        ("?to=<img src=x onerror=alert(1)>", "格式不对"),
        ("?from=2023-09-20&to=2023-09-01", "开始日期晚于结束日期"),
        ("?sort=name", "没有这种排序"),
        ("?dir=sideways", "排序方向不对"),
        ("?dup=maybe", "重复申报筛选的值不对"),
        ("?date=birthday&from=2023-01-01", "日期类型不对"),
        ("?level=" + "级" * 500, "筛选内容太长"),
    ],
)
def test_malformed_filters_are_ignored_with_a_message(
    client: TestClient, apps: dict[str, str], query: str, message: str
) -> None:
    coordinator(client)
    page = client.get(LIST + query)
    assert page.status_code == 200, page.text
    assert message in page.text
    assert "<script>alert" not in page.text and "<img src=x" not in page.text and ">49<" not in page.text


def test_hostile_values_shown_as_text(client: TestClient, apps: dict[str, str]) -> None:
    filing = start(client, "cq_yzj8_filing_2022")
    say(client, filing, "是", "1", "1", HOSTILE_NAME)  # an institution's name: any text
    csrf = coordinator(client, "zhongxin", "cq-zjzx")
    filings = "/admin/campaigns/cq_yzj8_filing_2022"
    html = client.get(filings).text
    assert HOSTILE_NAME not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    found = client.post(
        filings + "/list", data={"csrf": csrf, "term": HOSTILE_NAME}, headers={"Origin": ORIGIN}
    )
    page = client.get(found.headers["location"])
    assert len(app_ids(page.text)) == 1 and HOSTILE_NAME not in page.text
    client.cookies.clear()
    csrf = coordinator(client)
    form = {"Origin": ORIGIN, "Content-Type": "application/x-www-form-urlencoded"}
    for term in ("{{ 7*7 }}", "<img src=x onerror=alert(1)>", "%ED%A0%80张三", "%ED%B0%80", "张%00三%1B"):
        body = f"csrf={csrf}&term={term}".encode()
        response = client.post(LIST + "/list", content=body, headers=form)
        assert response.status_code == 303, response.text
        page = client.get(response.headers["location"])
        assert page.status_code == 200
        assert "<img src=x" not in page.text and "\ud800" not in page.text and ">49<" not in page.text
    too_long = client.post(
        LIST + "/list", data={"csrf": csrf, "term": "张" * 101}, headers={"Origin": ORIGIN}
    )
    assert too_long.status_code == 400 and "搜索内容太长" in too_long.text
    # control characters and lone surrogates are dropped: what is left is searched
    response = client.post(LIST + "/list", content=f"csrf={csrf}&term=张%00三".encode(), headers=form)
    assert app_ids(client.get(response.headers["location"]).text) == [apps["zhang"]]


def test_search_needs_csrf_and_origin(client: TestClient, apps: dict[str, str]) -> None:
    csrf = coordinator(client)
    assert client.post(LIST + "/list", data={"term": "张三"}, headers={"Origin": ORIGIN}).status_code == 403
    evil = client.post(
        LIST + "/list", data={"csrf": csrf, "term": "x"}, headers={"Origin": "https://evil.test"}
    )
    assert evil.status_code == 403


def test_other_institution_cannot_list_search_or_reveal(client: TestClient, apps: dict[str, str]) -> None:
    csrf = coordinator(client, "zhongxin", "cq-zjzx")
    assert client.get(LIST).status_code == 404
    assert client.get(LIST + "?status=complete").status_code == 404
    posted = client.post(LIST + "/list", data={"csrf": csrf, "term": "张三"}, headers={"Origin": ORIGIN})
    assert posted.status_code == 404
    reveal = client.post(
        f"/admin/applications/{apps['zhang']}/id-number", data={"csrf": csrf}, headers={"Origin": ORIGIN}
    )
    unknown = client.post(
        f"/admin/applications/{'0' * 32}/id-number", data={"csrf": csrf}, headers={"Origin": ORIGIN}
    )
    assert reveal.status_code == unknown.status_code == 404 and reveal.text == unknown.text
    assert FULL_ID not in reveal.text
    assert not [a for a in audit_actions(client) if a[0] == "id_number_revealed"]


def test_reveal_full_id_number_is_audited_without_the_number(
    client: TestClient, apps: dict[str, str]
) -> None:
    csrf = coordinator(client)
    page = client.get(f"/admin/applications/{apps['zhang']}")
    assert "显示完整身份证号" in page.text and FULL_ID not in page.text
    url = f"/admin/applications/{apps['zhang']}/id-number"
    shown = client.post(url, data={"csrf": csrf_of(page)}, headers={"Origin": ORIGIN})
    assert shown.status_code == 200 and FULL_ID in shown.text
    assert shown.headers["cache-control"] == "no-store"
    assert FULL_ID not in str(shown.url)
    entries = [a for a in audit_actions(client) if a[0] == "id_number_revealed"]
    assert entries == [("id_number_revealed", "jiang", apps["zhang"], "{}")]
    log = str(audit_actions(client))
    assert FULL_ID not in log and "19900101" not in log
    again = client.get(f"/admin/applications/{apps['zhang']}")
    assert FULL_ID not in again.text  # once: masked again
    assert client.get(url).status_code == 405
    assert client.post(url, data={}, headers={"Origin": ORIGIN}).status_code == 403
    assert client.post(url, data={"csrf": csrf}, headers={"Origin": "https://evil.test"}).status_code == 403
    assert len([a for a in audit_actions(client) if a[0] == "id_number_revealed"]) == 1
    no_id = client.post(
        f"/admin/applications/{apps['partial']}/id-number", data={"csrf": csrf}, headers={"Origin": ORIGIN}
    )
    assert no_id.status_code == 404 and "还没有填写身份证号" in no_id.text


def test_listing_spec_errors_name_the_line(tmp_path: Path) -> None:
    source = (ROOT / "forms" / "cq_pro_to_skill.yaml").read_text(encoding="utf-8")
    for bad, expected in (
        ("  unit: employer\n", "  unit: nonexistent\n"),
        ("  phone: contact_phone\n", "  phone: employer\n"),
        ("  method: method\n", "  method: no_such_outcome\n"),
    ):
        path = tmp_path / "cq_pro_to_skill.yaml"
        path.write_text(source.replace(bad, expected), encoding="utf-8")
        with pytest.raises(SpecErrors) as caught:
            load_form(path, catalogs=ROOT / "forms" / "catalogs")
        text = str(caught.value)
        line = source.splitlines().index(bad.rstrip("\n")) + 1
        assert f":{line}:" in text and "listing" in text, text


def test_counts_follow_review_status_changes(client: TestClient, apps: dict[str, str]) -> None:
    coordinator(client)
    assert re.search(r"已生成 <strong>1</strong>", listed(client)[1])  # counted (and kept) now
    store = store_of(client)

    def review() -> None:
        store.db.execute("UPDATE applications SET review_status = 'abandoned' WHERE id = ?", [apps["zhang"]])
        store.db.execute(
            "INSERT INTO status_changes (app_id, at, actor, from_status, to_status) "
            "VALUES (?, '2023-09-20T08:00:00Z', 'jiang', 'complete', 'abandoned')",
            [apps["zhang"]],
        )

    store.write(review)
    ids, html = listed(client, "?status=abandoned")
    assert ids == [apps["zhang"]] and not re.search(r"已生成 <strong>", html)
    assert re.search(r"已放弃 <strong>1</strong>", html)


def test_backfill_after_migration(client: TestClient, apps: dict[str, str]) -> None:
    """Applications stored before migration 11 get their facets and search keys at the next start."""
    store = store_of(client)

    def forget() -> None:
        store.db.execute("UPDATE application_facets SET eligibility = NULL, method = NULL, occupation = NULL")
        store.db.execute("DELETE FROM search_keys")

    store.write(forget)
    intake = client.app.state.intake  # type: ignore[attr-defined]
    assert intake.backfill_facets() == 6
    assert intake.backfill_facets() == 0
    csrf = coordinator(client)
    assert search_for(client, csrf, "张三")[0] == [apps["zhang"]]
    assert listed(client, "?occupation=化学检验员")[0] == [apps["hostile"]]
    assert listed(client, "?eligibility=ineligible")[0] == [apps["ineligible"]]
    assert apps["unanswered"] not in listed(client)[0]  # `answered` is kept, never cleared


def test_counts_kept_up_to_date_equal_counts_made_afresh(client: TestClient, apps: dict[str, str]) -> None:
    store = store_of(client)
    queries = [
        list_query.ListQuery("cq_hgzy_2023"),
        list_query.ListQuery("cq_hgzy_2023", status="in_progress", duplicate=True),
        list_query.ListQuery("cq_hgzy_2023", date_field="updated", since="2000-01-01T00:00:00Z"),
    ]

    def same() -> None:
        for q in queries:
            kept, fresh = list_query.tally(store, q), list_query._tally(store, q)
            for facet in list_query.FACETS:
                assert kept.counts(q, facet) == fresh.counts(q, facet), facet
            assert kept.total(q) == fresh.total(q) and kept.unanswered(q) == fresh.unanswered(q)

    same()  # made
    again = start(client)  # the same ID number and title level as 王五: both become duplicates
    say(client, again, *answers("王五", other_id("123"), "丙公司", "13600000000"))
    same()
    say(client, start(client), "其他")  # a new ineligible one
    same()

    def review() -> None:
        store.db.execute("UPDATE applications SET review_status = 'abandoned' WHERE id = ?", [apps["zhang"]])
        store.db.execute(
            "INSERT INTO status_changes (app_id, at, actor, from_status, to_status) "
            "VALUES (?, '2023-09-20T08:00:00Z', 'jiang', 'complete', 'abandoned')",
            [apps["zhang"]],
        )

    store.write(review)
    same()
    counted = list_query.tally(store, queries[0]).counts(queries[0], "duplicate")
    assert counted == {0: 3, 1: 4}  # 张三's pair (live: its own status is still complete) and 王五's
