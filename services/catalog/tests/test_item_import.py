"""The item catalog over HTTP on PostgreSQL: importing the bureau's file (CSV in UTF-8 or GB18030,
or .xlsx), idempotent batches, the dry run's difference, the per-row result, and classifying fee lines."""

import csv
import io
import zipfile

import openpyxl
import pytest
from httpx import AsyncClient

from services.catalog.items.sample import SAMPLE
from shared.auth import Role

pytestmark = pytest.mark.asyncio(loop_scope="session")
HEADER = "医保目录编码,名称,类型,目录类别,自付比例,限价,开始日期,结束日期\n"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def send(client: AsyncClient, auth, content: bytes, batch_id: str, *, dry_run: bool = False,  # type: ignore[no-untyped-def]
               media_type: str = "text/csv", **headers: str):
    return await client.post("/v1/items/imports", params={"batch_id": batch_id, "dry_run": str(dry_run).lower()},
                             content=content, headers={**auth(Role.OPS), "Content-Type": media_type, **headers})


def counts(body: dict) -> tuple[int, ...]:  # type: ignore[type-arg]
    return tuple(body[k] for k in ("accepted", "rejected", "added", "changed", "unchanged", "ended"))


async def versions(client: AsyncClient, auth, code: str) -> list[dict]:  # type: ignore[no-untyped-def,type-arg]
    response = await client.get("/v1/items", params={"code": code}, headers=auth(Role.HIS))
    assert response.status_code == 200
    return response.json()


async def test_the_sample_imports_once_and_a_batch_id_is_never_reused(client: AsyncClient, auth) -> None:  # type: ignore[no-untyped-def]
    first = await send(client, auth, SAMPLE.read_bytes(), "sample-1")
    assert first.status_code == 200, first.text
    assert counts(first.json()) == (12, 0, 12, 0, 0, 0) and not first.json()["replayed"]
    again = await send(client, auth, SAMPLE.read_bytes(), "sample-1")
    assert again.json()["replayed"] and counts(again.json()) == (12, 0, 12, 0, 0, 0)
    [b_drug] = await versions(client, auth, "SAMPLE-D002")
    assert (b_drug["category"], b_drug["pre_self_pay_ratio"], b_drug["price_limit"], b_drug["kind"]) == (
        "B", "0.1000", "50.000000", "drug")
    other = await send(client, auth, SAMPLE.read_bytes().replace(b"50.00", b"55.00"), "sample-1")
    assert other.status_code == 422 and other.json()["code"] == "batch_id_reused"
    # the same content under a new batch id changes nothing
    same = await send(client, auth, SAMPLE.read_bytes(), "sample-2")
    assert counts(same.json()) == (12, 0, 0, 0, 12, 0)


async def test_a_gb18030_file_dry_run_shows_the_difference_then_imports_it(client: AsyncClient, auth) -> None:  # type: ignore[no-untyped-def]
    await send(client, auth, SAMPLE.read_bytes(), "sample-for-diff")
    text = HEADER + (
        "SAMPLE-D001,示例药品甲（阿莫西林胶囊 0.25g）,药品,甲类,,,2018-01-01,\n"  # unchanged
        "SAMPLE-D002,示例药品乙（限价注射液 10ml）,药品,乙类,10%,45.00,2024-01-01,\n"  # a new version
        "SAMPLE-T003,示例诊疗项目丙（美容整形）,诊疗项目,丙类,,,2018-01-01,2024-06-30\n"  # ended
        "GB-NEW-1,新增药品,西药,乙,0.05,,2024-01-01,\n"  # added
        "GB-BAD-1,坏行,药品,丁类,,,2024-01-01,\n"  # rejected
    )
    content = text.encode("gb18030")
    preview = await send(client, auth, content, "diff-1", dry_run=True)
    assert preview.status_code == 200, preview.text
    body = preview.json()
    assert counts(body) == (4, 1, 1, 1, 1, 1) and body["dry_run"] and body["changes_total"] == 4
    assert [(c["row_no"], c["code"], c["action"] or c["reason_code"]) for c in body["changes"]] == [
        (3, "SAMPLE-D002", "changed"), (4, "SAMPLE-T003", "ended"), (5, "GB-NEW-1", "added"),
        (6, "GB-BAD-1", "bad_row")]
    assert await versions(client, auth, "GB-NEW-1") == []  # a dry run writes nothing
    done = await send(client, auth, content, "diff-1")
    assert counts(done.json()) == (4, 1, 1, 1, 1, 1) and not done.json()["dry_run"]
    old, new = await versions(client, auth, "SAMPLE-D002")
    assert (old["valid_to"], old["price_limit"]) == ("2023-12-31", "50.000000")
    assert (new["valid_from"], new["valid_to"], new["price_limit"], new["batch_id"]) == (
        "2024-01-01", None, "45.000000", "diff-1")
    [ended] = await versions(client, auth, "SAMPLE-T003")
    assert ended["valid_to"] == "2024-06-30"
    rows = await client.get("/v1/items/imports/diff-1/rows.csv", headers=auth(Role.OPS))
    table = list(csv.reader(io.StringIO(rows.text.lstrip("\ufeff"))))
    assert table[0] == ["行号", "医保目录编码", "结果", "处理", "原因代码", "说明"]
    assert [r[:4] for r in table[1:]] == [["2", "SAMPLE-D001", "接受", "无变化"], ["3", "SAMPLE-D002", "接受", "变更"],
                                          ["4", "SAMPLE-T003", "接受", "终止"], ["5", "GB-NEW-1", "接受", "新增"],
                                          ["6", "GB-BAD-1", "拒绝", ""]]
    assert table[-1][4] == "bad_row"


async def test_an_excel_workbook_imports_as_the_csv_does(client: AsyncClient, auth) -> None:  # type: ignore[no-untyped-def]
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(HEADER.strip().split(","))
    sheet.append(["XL-1", "Excel药品", "药品", "乙类", 0.1, 12.5, "2024-01-01", None])
    # a code Excel made a number
    sheet.append([110200001, "Excel诊疗", "诊疗项目", "甲类", None, None, "2024/1/1", None])
    out = io.BytesIO()
    workbook.save(out)
    response = await send(client, auth, out.getvalue(), "excel-1", media_type=XLSX)
    assert response.status_code == 200, response.text
    assert counts(response.json()) == (2, 0, 2, 0, 0, 0)
    [entry] = await versions(client, auth, "110200001")
    assert (entry["kind"], entry["category"], entry["valid_from"]) == ("treatment", "A", "2024-01-01")
    broken = await send(client, auth, b"not a workbook", "excel-2", media_type=XLSX)
    assert broken.status_code == 422 and broken.json()["code"] == "unreadable_file"
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive, archive.open("xl/bomb.xml", "w") as member:
        for _ in range(257):  # 257 MiB of zeros, a few hundred KiB packed
            member.write(bytes(1024 * 1024))
    refused = await send(client, auth, bomb.getvalue(), "excel-3", media_type=XLSX)
    assert refused.status_code == 422 and "256 MiB" in refused.json()["detail"]


async def test_a_long_difference_is_truncated_and_downloads_whole_as_csv(client: AsyncClient, auth) -> None:  # type: ignore[no-untyped-def]
    lines = [f"TR-{n:05d},截断测试{n},医用耗材,丙类,,,2024-01-01," for n in range(1200)]
    content = (HEADER + "\n".join([*lines, "=HYPERLINK(1),公式,药品,甲类,,,2024-01-01,"]) + "\n").encode()
    preview = await send(client, auth, content, "long-1", dry_run=True)
    body = preview.json()
    assert (body["changes_total"], len(body["changes"]), body["truncated"]) == (1201, 1000, True)
    download = await send(client, auth, content, "long-1", dry_run=True, Accept="text/csv")
    assert download.headers["content-type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(download.text.lstrip("\ufeff"))))
    assert len(table) == 1 + 1201
    assert table[-1][1] == "'=HYPERLINK(1)"  # a formula shows as text (shared.csv_export)


async def test_only_ops_import_and_an_empty_file_is_refused(client: AsyncClient, auth) -> None:  # type: ignore[no-untyped-def]
    refused = await client.post("/v1/items/imports", params={"batch_id": "his-1"}, content=SAMPLE.read_bytes(),
                                headers={**auth(Role.HIS), "Content-Type": "text/csv"})
    assert refused.status_code == 403
    empty = await send(client, auth, HEADER.encode(), "empty-1")
    assert empty.status_code == 422 and empty.json()["code"] == "empty_file"
    headless = await send(client, auth, "名称\n甲\n".encode(), "headless-1")
    assert headless.status_code == 422 and headless.json()["code"] == "unreadable_file"


async def test_classify_splits_the_lines_by_the_entry_in_force(client: AsyncClient, auth) -> None:  # type: ignore[no-untyped-def]
    await send(client, auth, SAMPLE.read_bytes(), "sample-for-classify")
    body = {"service_date": "2023-03-20", "lines": [
        # 乙, 10%, limit 50: 3 × 56.67 = 170.01; over (56.67 − 50) × 3 = 20.01; pre 10% × 150.00 = 15.00
        {"feedetl_sn": "1", "item_code": "SAMPLE-D002", "quantity": "3", "unit_price": "56.67", "amount": "170.01"},
        # 丙: all full self-pay
        {"feedetl_sn": "2", "item_code": "SAMPLE-C003", "quantity": "1", "unit_price": "80", "amount": "80"},
        # 乙 ended 2022-12-31: on 2023-03-20 not in force, all full self-pay
        {"feedetl_sn": "3", "item_code": "SAMPLE-D005", "quantity": "2", "unit_price": "10", "amount": "20"},
    ]}
    response = await client.post("/v1/items:classify", json=body, headers=auth(Role.SERVICE))
    assert response.status_code == 200, response.text
    result = response.json()
    assert (result["total"], result["full_self_pay"], result["over_limit_self_pay"], result["pre_self_pay"]) == (
        "270.01", "100.00", "20.01", "15.00")
    assert [line["category"] for line in result["lines"]] == ["B", "C", None]
    body["lines"].append({"feedetl_sn": "X-4", "item_code": "NO-SUCH", "quantity": "1", "unit_price": "1",
                          "amount": "1"})
    unknown = await client.post("/v1/items:classify", json=body, headers=auth(Role.SERVICE))
    assert unknown.status_code == 422
    assert (unknown.json()["code"], unknown.json()["line"], unknown.json()["feedetl_sn"]) == (
        "unknown_item_code", 4, "X-4")
    his = await client.post("/v1/items:classify", json=body, headers=auth(Role.HIS))
    assert his.status_code == 403


async def test_lines_adding_up_beyond_the_money_limit_are_a_422_not_a_500(client: AsyncClient, auth) -> None:  # type: ignore[no-untyped-def]
    await send(client, auth, SAMPLE.read_bytes(), "sample-for-limit")
    # each line 99,999,999 × 9,999 = 999,899,990,001.00 fits an amount; the two add up beyond it
    line = {"item_code": "SAMPLE-D001", "quantity": "99999999", "unit_price": "9999", "amount": "999899990001"}
    body = {"service_date": "2023-03-20", "lines": [{"feedetl_sn": "1", **line}, {"feedetl_sn": "2", **line}]}
    response = await client.post("/v1/items:classify", json=body, headers=auth(Role.SERVICE))
    assert response.status_code == 422, response.text
    assert (response.json()["code"], response.json()["line"], response.json()["limit"]) == (
        "bill_total_too_large", 1, "9999999999.99")
    assert "9999999999.99" in response.json()["detail"]


async def test_a_row_with_control_characters_is_rejected_and_recorded_readably(client: AsyncClient, auth) -> None:  # type: ignore[no-untyped-def]
    content = (HEADER + "CTL\x00-1,名称,药品,甲类,,,2024-01-01,\nCTL-2,名\u202e称,药品,甲类,,,2024-01-01,\n").encode()
    response = await send(client, auth, content, "control-1")
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["rejected"], body["added"]) == (2, 0)  # a bidi override in a name would hide what it says
    assert [(c["code"], c["reason_code"]) for c in body["changes"]] == [
        ("CTL\ufffd-1", "bad_row"), ("CTL-2", "bad_row")]
