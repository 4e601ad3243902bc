"""Agencies push beneficiary lists to the registry over HTTP (catalog answers for the regions), on
PostgreSQL: results per row, idempotent batches, full lists with a dry run, concurrent imports."""

import csv
import io
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import httpx
import pytest

from shared.auth import Role
from tests.e2e.conftest import Platform, fetch
from tests.support.people import new_id_number

pytestmark = pytest.mark.e2e
CIVIL = {"agency": "civil_affairs"}


def register(platform: Platform, auth, count: int, region: str = "370602") -> list[str]:  # type: ignore[no-untyped-def]
    numbers = [new_id_number() for _ in range(count)]
    with httpx.Client(base_url=platform.urls["registry"], headers=auth(Role.OPS)) as client:
        for number in numbers:
            response = client.post("/v1/persons", json={
                "id_number": number, "name": "名单测试", "insurance_type": "resident", "region_code": region,
                "insured_from": "2020-01-01"})
            assert response.status_code == 201, response.text
    return numbers


def push(platform: Platform, auth, body: dict, **claims) -> httpx.Response:  # type: ignore[no-untyped-def, type-arg]
    headers = auth(Role.AGENCY, **(claims or CIVIL))
    return httpx.post(f"{platform.urls['registry']}/v1/imports", json=body, headers=headers, timeout=60)


def current_identities(platform: Platform, id_number: str) -> list[dict[str, object]]:
    return fetch(platform.databases["registry"],
                 "SELECT i.* FROM identities i JOIN persons p ON p.id = i.person_id "
                 "WHERE p.id_number = $1 AND i.superseded_at IS NULL", id_number)


def categories_on(platform: Platform, auth, id_number: str, on: str) -> list[str]:  # type: ignore[no-untyped-def]
    response = httpx.get(f"{platform.urls['registry']}/v1/persons/{id_number}/eligibility", params={"on": on},
                         headers=auth(Role.SERVICE))
    return [i["category"] for i in response.json()["identities"]]


def test_a_list_with_every_kind_of_row(platform: Platform, auth) -> None:  # type: ignore[no-untyped-def]
    good = register(platform, auth, 3)
    [lapsed] = register(platform, auth, 1)
    httpx.post(f"{platform.urls['registry']}/v1/persons/{lapsed}/insurance", headers=auth(Role.OPS), json={
        "status": "ended", "insurance_type": "resident", "effective_from": "2023-01-01"})
    bad = good[0][:17] + ("0" if good[0][17] != "0" else "1")
    rows = [{"id_number": n, "region_code": "370602"} for n in good] + [
        {"id_number": bad}, {"id_number": new_id_number(), "name": "@SUM(1+1)*cmd|' /C calc'!A0"},
        {"id_number": good[1], "region_code": "370602"},
        {"id_number": lapsed}, {"id_number": good[2], "region_code": "999999"},
        {"id_number": new_id_number(), "approved_on": "2023-02-30"},
    ]
    body = {"batch_id": "E2E-ROWS-1", "category": "minimum_allowance", "list_date": "2023-05-10",
            "document_number": "芝民〔2023〕5号", "rows": rows}
    first = push(platform, auth, body)
    assert first.status_code == 200, first.text
    summary = first.json()
    assert (summary["rows"], summary["accepted"], summary["rejected"], summary["added"]) == (9, 3, 6, 3)
    # The import itself lists its rejected rows, each with its line, reason and a bilingual message.
    assert [(r["row_no"], r["reason_code"]) for r in summary["changes"]] == [
        (4, "bad_id_number"), (5, "person_not_found"), (6, "duplicate_row"), (7, "person_not_insured"),
        (8, "duplicate_row"), (9, "bad_row")]
    assert summary["changes"][0]["message"] == \
        "身份证号码无效 (invalid ID number)：身份证号码校验位错误 (check digit does not match)"
    assert summary["changes"][3]["message"] == "名单日期未参保 (not insured on the list date)"
    assert (summary["changes_total"], summary["truncated"], summary["would_be_refused"]) == (6, False, False)
    rejected = httpx.get(f"{platform.urls['registry']}/v1/imports/E2E-ROWS-1/rows",
                         params={"outcome": "rejected"}, headers=auth(Role.AGENCY, **CIVIL)).json()
    assert [(r["row_no"], r["reason_code"]) for r in rejected] == [
        (4, "bad_id_number"), (5, "person_not_found"), (6, "duplicate_row"), (7, "person_not_insured"),
        (8, "duplicate_row"), (9, "bad_row")]
    assert rejected[0]["id_number"].count("*") == 8  # an agency token sees masked numbers
    assert categories_on(platform, auth, good[0], "2023-05-31") == []
    assert categories_on(platform, auth, good[0], "2023-06-01") == ["minimum_allowance"]  # next month

    again = push(platform, auth, body)
    assert again.json()["replayed"] is True and again.json()["added"] == 3
    assert again.json()["changes"] == summary["changes"]
    assert len(current_identities(platform, good[0])) == 1
    other = push(platform, auth, {**body, "rows": rows[:1]})
    assert other.status_code == 422 and other.json()["code"] == "batch_id_reused"

    download = httpx.get(f"{platform.urls['registry']}/v1/imports/E2E-ROWS-1/rows.csv",
                         headers=auth(Role.AGENCY, **CIVIL))
    assert download.headers["content-type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))
    assert table[0] == ["行号", "身份证号", "姓名", "结果", "处理", "原因代码", "说明"] and len(table) == 10
    assert table[1] == ["1", good[0][:6] + "********" + good[0][-4:], "名单测试", "接受", "新增", "", ""]
    assert table[5][2:6] == ["'@SUM(1+1)*cmd|' /C calc'!A0", "拒绝", "", "person_not_found"]  # text, not a formula
    assert table[7][2:6] == ["名单测试", "拒绝", "", "person_not_insured"]  # the registered name
    history = httpx.get(f"{platform.urls['registry']}/v1/persons/{good[0]}/history", headers=auth(Role.OPS)).json()
    assert history[-1]["action"] == "identity_imported" and history[-1]["batch_id"] == "E2E-ROWS-1"


def test_a_full_list_in_gb18030_with_a_dry_run_first(platform: Platform, auth) -> None:  # type: ignore[no-untyped-def]
    staying, leaving, newcomer = register(platform, auth, 3, region="370613")
    first = push(platform, auth, {"batch_id": "LS-2023-04", "category": "minimum_allowance",
                                  "list_date": "2023-04-05", "document_number": "莱民〔2023〕4月",
                                  "rows": [{"id_number": staying}, {"id_number": leaving}]})
    assert first.json()["added"] == 2
    content = "身份证号,姓名,区划代码\n" + f"{staying},甲,370613\n{newcomer},乙,370613\n"
    params = {"batch_id": "LS-2023-05", "category": "minimum_allowance", "mode": "full", "region_code": "370613",
              "list_date": "2023-05-10", "document_number": "莱民〔2023〕5月完整名单"}
    url = f"{platform.urls['registry']}/v1/imports/csv"
    headers = {**auth(Role.AGENCY, **CIVIL), "Content-Type": "text/csv"}
    preview = httpx.post(url, params={**params, "dry_run": "true"}, content=content.encode("gb18030"),
                         headers=headers).json()
    assert (preview["dry_run"], preview["unchanged"], preview["added"], preview["ended"]) == (True, 1, 1, 1)
    assert [c["action"] for c in preview["changes"]] == ["added", "ended"]
    assert categories_on(platform, auth, leaving, "2023-07-01") == ["minimum_allowance"]  # nothing written
    done = httpx.post(url, params=params, content=content.encode("gb18030"), headers=headers).json()
    assert (done["dry_run"], done["ended"], done["added"]) == (False, 1, 1)
    assert categories_on(platform, auth, leaving, "2023-05-31") == ["minimum_allowance"]
    assert categories_on(platform, auth, leaving, "2023-06-01") == []  # stops from the next month
    assert categories_on(platform, auth, staying, "2023-06-01") == ["minimum_allowance"]
    assert categories_on(platform, auth, newcomer, "2023-06-01") == ["minimum_allowance"]
    # Each change a list makes is a change event, written with it (registry's outbox, served on its feed)
    events = fetch(platform.databases["registry"], "SELECT id_number, type, effective_from, effective_until "
                   "FROM change_events WHERE id_number = ANY($1) AND type LIKE 'identity.%' ORDER BY seq",
                   [staying, leaving, newcomer])
    assert [(e["id_number"], e["type"], e["effective_from"], e["effective_until"]) for e in events] == [
        (staying, "identity.added", date(2023, 5, 1), None), (leaving, "identity.added", date(2023, 5, 1), None),
        (newcomer, "identity.added", date(2023, 6, 1), None),  # listed 2023-05-10: from June
        (leaving, "identity.ended", date(2023, 6, 1), None),  # left off the full list: stops from June
    ]
    for index, content in enumerate((b"\xff\xfe\x00bad", "身份证号\n".encode() + b"1" * 200_000 + b"\n",
                                     "身份证号,身份证号\n1,2\n".encode())):
        unreadable = httpx.post(url, params={**params, "batch_id": f"LS-X{index}"}, content=content, headers=headers)
        assert unreadable.status_code == 422 and unreadable.json()["code"] == "unreadable_list", unreadable.text
    blank = httpx.post(url, params={**params, "batch_id": "LS-B", "document_number": "   "},
                       content=f"身份证号\n{staying}\n".encode(), headers=headers)
    assert blank.status_code == 422 and blank.json()["code"] == "validation_failed"
    assert blank.json()["detail"] == "文字过短，至少 1 个字符 (String should have at least 1 character)"
    assert blank.json()["errors"][0]["loc"] == ["document_number"]
    # A full list with a row nobody can identify cannot say who is missing from it: refused, nobody ended.
    garbled = httpx.post(url, params={**params, "batch_id": "LS-G"}, content="身份证号\r1\r".encode(),
                         headers=headers)
    assert garbled.status_code == 422 and garbled.json()["code"] == "full_list_has_unidentified_rows"
    assert categories_on(platform, auth, staying, "2023-06-01") == ["minimum_allowance"]
    assert fetch(platform.databases["registry"], "SELECT * FROM import_batches WHERE batch_id = 'LS-G'") == []
    nul = push(platform, auth, {"batch_id": "NUL-1", "category": "minimum_allowance", "list_date": "2023-05-10",
                                "document_number": "X", "rows": [{"id_number": "3706\u0000021990"},
                                                                 {"id_number": staying, "approved_on": "9999-12-31"}]})
    assert nul.status_code == 200 and nul.json()["rejected"] == 2


def test_only_the_owning_agency_pushes_a_category(platform: Platform, auth) -> None:  # type: ignore[no-untyped-def]
    [number] = register(platform, auth, 1)
    body = {"batch_id": "RV-1", "category": "minimum_allowance", "list_date": "2023-05-10",
            "document_number": "X", "rows": [{"id_number": number}]}
    refused = push(platform, auth, body, agency="rural_revitalization")
    assert refused.status_code == 403 and refused.json()["code"] == "category_not_owned"
    full_without_region = push(platform, auth, {**body, "mode": "full"})
    assert full_without_region.status_code == 422 and full_without_region.json()["code"] == "region_required"


def test_concurrent_imports_of_overlapping_lists(platform: Platform, auth) -> None:  # type: ignore[no-untyped-def]
    numbers = register(platform, auth, 60, region="370602")
    lists = [numbers[:40], numbers[20:], numbers[10:50]]

    def send(index: int) -> httpx.Response:
        return push(platform, auth, {"batch_id": f"OVERLAP-{index}", "category": "minimum_allowance",
                                     "list_date": "2023-05-10", "document_number": "X",
                                     "rows": [{"id_number": n} for n in lists[index]]})

    with ThreadPoolExecutor(3) as pool:
        responses = list(pool.map(send, range(3)))
    assert [r.status_code for r in responses] == [200, 200, 200]
    assert sum(r.json()["added"] for r in responses) == 60  # each person added once, by whichever came first
    counts = fetch(platform.databases["registry"],
                   "SELECT p.id_number, count(*) AS n FROM identities i JOIN persons p ON p.id = i.person_id "
                   "WHERE p.id_number = ANY($1) AND i.superseded_at IS NULL GROUP BY 1", numbers)
    assert sorted(c["n"] for c in counts) == [1] * 60


@pytest.mark.parametrize("store", ["platform", "sqlite_platform"])
def test_a_refused_full_list_leaves_its_batch_id_for_the_corrected_list(store: str, request, auth) -> None:  # type: ignore[no-untyped-def]
    platform: Platform = request.getfixturevalue(store)
    staying, leaving = register(platform, auth, 2, region="370683")
    params = {"batch_id": "LZ-2023-05", "category": "minimum_allowance", "mode": "full", "region_code": "370683",
              "list_date": "2023-05-10", "document_number": "莱州民〔2023〕5月"}
    url = f"{platform.urls['registry']}/v1/imports/csv"
    headers = {**auth(Role.AGENCY, **CIVIL), "Content-Type": "text/csv"}
    first = httpx.post(url, params={**params, "batch_id": "LZ-2023-04"}, headers=headers,
                       content=f"身份证号\n{staying}\n{leaving}\n".encode())
    assert first.json()["added"] == 2
    garbled = f"身份证号\n{staying}\n{staying[:17]}\n".encode()
    preview = httpx.post(url, params={**params, "dry_run": "true"}, content=garbled, headers=headers)
    assert preview.status_code == 200, preview.text
    assert (preview.json()["would_be_refused"], preview.json()["refusal"]["code"]) == (
        True, "full_list_has_unidentified_rows")
    assert "1行身份证号无法识别" in preview.json()["refusal"]["detail"]
    refused = httpx.post(url, params=params, content=garbled, headers=headers)
    assert refused.status_code == 422 and refused.json()["code"] == "full_list_has_unidentified_rows"
    unknown = httpx.get(f"{platform.urls['registry']}/v1/imports/LZ-2023-05", headers=auth(Role.AGENCY, **CIVIL))
    assert unknown.status_code == 404  # nothing written: no batch, no rows
    corrected = httpx.post(url, params=params, content=f"身份证号\n{staying}\n".encode(), headers=headers)
    assert corrected.status_code == 200, corrected.text
    assert (corrected.json()["unchanged"], corrected.json()["ended"], corrected.json()["would_be_refused"]) == (
        1, 1, False)
    assert categories_on(platform, auth, leaving, "2023-06-01") == []


def test_a_dry_run_of_a_long_list_says_it_was_cut_and_downloads_in_full(platform: Platform, auth) -> None:  # type: ignore[no-untyped-def]
    numbers = [new_id_number() for _ in range(1203)]  # nobody registered: 1,203 rejections
    rows = [{"id_number": n, "name": f"甲{i}"} for i, n in enumerate(numbers)]
    rows[7]["name"] = "=HYPERLINK(\"http://x.example/\",\"点我\")"
    body = {"batch_id": "LONG-1", "category": "minimum_allowance", "list_date": "2023-05-10",
            "document_number": "X", "rows": rows, "dry_run": True}
    preview = push(platform, auth, body).json()
    assert (preview["rejected"], preview["changes_total"], preview["truncated"], len(preview["changes"])) == (
        1203, 1203, True, 1000)
    download = httpx.post(f"{platform.urls['registry']}/v1/imports", json=body, timeout=60,
                          headers={**auth(Role.AGENCY, **CIVIL), "Accept": "text/csv"})
    assert download.status_code == 200 and download.headers["content-type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))
    assert len(table) == 1 + 1203
    assert table[8][:4] == ["8", numbers[7][:6] + "********" + numbers[7][-4:],
                            "'=HYPERLINK(\"http://x.example/\",\"点我\")", "拒绝"]
    assert httpx.get(f"{platform.urls['registry']}/v1/imports/LONG-1",
                     headers=auth(Role.AGENCY, **CIVIL)).status_code == 404  # a dry run writes nothing


def test_names_with_bidi_controls_or_zero_width_characters_are_refused(platform: Platform, auth) -> None:  # type: ignore[no-untyped-def]
    [number] = register(platform, auth, 1)
    body = {"batch_id": "BIDI-1", "category": "minimum_allowance", "list_date": "2023-05-10",
            "document_number": "X", "rows": [{"id_number": number, "name": "张\u202e三"}]}
    pushed = push(platform, auth, body).json()
    assert (pushed["rejected"], pushed["changes"][0]["reason_code"]) == (1, "bad_row")
    assert "零宽" in pushed["changes"][0]["message"] and "\u202e" not in pushed["changes"][0]["name"]
    as_csv = httpx.post(f"{platform.urls['registry']}/v1/imports/csv", content=f"身份证号,姓名\n{number},李\u200b四\n"
                        .encode(), params={"batch_id": "BIDI-2", "category": "minimum_allowance",
                                           "list_date": "2023-05-10", "document_number": "X"},
                        headers={**auth(Role.AGENCY, **CIVIL), "Content-Type": "text/csv"}).json()
    assert (as_csv["rejected"], as_csv["changes"][0]["reason_code"]) == (1, "bad_row")
