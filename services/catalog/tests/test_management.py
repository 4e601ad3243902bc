"""Ops manage hospitals and their agreements (on PostgreSQL): versions as of a date, the
application workflow, suspension and termination, the change sequence."""

import asyncio
from itertools import count

import asyncpg
import pytest
from httpx import AsyncClient

from shared import clock
from shared.auth import Role
from shared.db import driver_dsn

pytestmark = pytest.mark.asyncio(loop_scope="session")
CODES = count(990405101)
FIXTURE = "台儿庄区测试医院（示例数据，非真实机构）"


async def register(client: AsyncClient, auth, **extra) -> str:  # type: ignore[no-untyped-def]
    code = str(next(CODES))
    response = await client.post("/v1/hospitals", headers=auth(Role.OPS), json={
        "code": code, "name": FIXTURE, "region_code": "370405", "ownership": "公立", "effective_from": "2017-01-01",
    } | extra)
    assert response.status_code == 201, response.text
    return code


async def signed(client: AsyncClient, auth, code: str, number: str, starts_on: str = "2017-05-01") -> int:  # type: ignore[no-untyped-def]
    ops = auth(Role.OPS)
    base = f"/v1/hospitals/{code}/applications"
    application = (await client.post(base, headers=ops, json={
        "services": ["one_stop_assistance", "basic_insurance"], "applied_on": "2017-03-01"})).json()
    steps = [("evaluation", {"evaluated_on": "2017-03-20", "evaluation": "材料齐全，实地察看合格 (passed)"}),
             ("notice", {"notice_from": "2017-03-27"})]
    for step, body in steps:
        assert (await client.post(f"{base}/{application['id']}/{step}", headers=ops, json=body)).status_code == 200
    agreement = await client.post(f"{base}/{application['id']}/signing", headers=ops, json={
        "signed_on": "2017-04-20", "number": number, "starts_on": starts_on})
    assert agreement.status_code == 200, agreement.text
    return int(agreement.json()["id"])


async def test_a_registered_hospital_keeps_every_version_with_who_and_why(client: AsyncClient, auth) -> None:  # type: ignore[no-untyped-def]
    code = await register(client, auth, level="level_2", kind="general")
    changed = await client.patch(f"/v1/hospitals/{code}", headers=auth(Role.OPS), json={
        "level": "level_3", "grade": "B", "reason": "等级评审 (level review)", "effective_from": "2024-07-01"})
    assert changed.status_code == 200 and changed.json()["level"] == "level_3"
    before = (await client.get(f"/v1/hospitals/{code}", params={"on": "2024-06-30"}, headers=auth(Role.HIS))).json()
    assert (before["level"], before["grade"], before["kind"]) == ("level_2", None, "general")
    after = (await client.get(f"/v1/hospitals/{code}", params={"on": "2024-07-01"}, headers=auth(Role.HIS))).json()
    assert (after["level"], after["grade"], after["kind"]) == ("level_3", "B", "general")
    history = (await client.get(f"/v1/hospitals/{code}/history", headers=auth(Role.OPS))).json()
    assert [(v["valid_from"], v["changed"], v["reason"], v["recorded_by"]) for v in history] == [
        ("2017-01-01", ["name", "region_code", "ownership", "level", "grade", "kind"], "登记 (registered)", "test-ops"),
        ("2024-07-01", ["level", "grade"], "等级评审 (level review)", "test-ops"),
    ]
    unknown_before = await client.get(f"/v1/hospitals/{code}", params={"on": "2016-12-31"}, headers=auth(Role.HIS))
    assert unknown_before.status_code == 404 and unknown_before.json()["code"] == "hospital_not_found"


async def test_refusals(client: AsyncClient, auth) -> None:  # type: ignore[no-untyped-def]
    code = await register(client, auth)
    ops = auth(Role.OPS)
    cases = [
        (client.post("/v1/hospitals", headers=auth(Role.HIS), json={}), 403, "role_not_allowed"),
        (client.post("/v1/hospitals", headers=ops, json={"code": code, "name": FIXTURE, "region_code": "370405",
                                                         "ownership": "公立"}), 409, "hospital_exists"),
        (client.post("/v1/hospitals", headers=ops, json={"code": "990405999", "name": FIXTURE, "region_code": "370499",
                                                         "ownership": "公立"}), 422, "region_unknown"),
        (client.patch(f"/v1/hospitals/{code}", headers=ops, json={"reason": "无 (none)"}), 422, "nothing_to_change"),
        (client.patch(f"/v1/hospitals/{code}", headers=ops, json={"level": "level_1", "reason": "补录 (late)",
                                                                 "effective_from": "2016-01-01"}),
         422, "effective_date_before_latest"),
        (client.patch(f"/v1/hospitals/{code}", headers=ops, json={"level": "level_1", "reason": "未来 (future)",
                                                                 "effective_from": "2099-01-01"}),
         422, "effective_date_in_future"),
        (client.patch(f"/v1/hospitals/{code}", headers=ops, json={"region_code": None, "reason": "x"}),
         422, "required_attribute"),
        (client.patch(f"/v1/hospitals/{code}", headers=ops, json={"level": "level_4", "reason": "x"}),
         422, "validation_failed"),
        (client.patch("/v1/hospitals/990405998", headers=ops, json={"level": "level_1", "reason": "x"}),
         404, "hospital_not_found"),
    ]
    for call, status, problem in cases:
        response = await call
        assert (response.status_code, response.json()["code"]) == (status, problem), response.text


async def test_the_workflow_records_its_dates_and_signs_only_after_the_notice(client: AsyncClient, auth) -> None:  # type: ignore[no-untyped-def]
    code = await register(client, auth)
    ops = auth(Role.OPS)
    base = f"/v1/hospitals/{code}/applications"
    application = (await client.post(base, headers=ops, json={"services": ["one_stop_assistance"],
                                                               "applied_on": "2025-09-01"})).json()
    assert application["status"] == "applied"
    early_notice = await client.post(f"{base}/{application['id']}/notice", headers=ops,
                                     json={"notice_from": "2025-09-29"})
    assert (early_notice.status_code, early_notice.json()["code"]) == (409, "application_step_out_of_order")
    await client.post(f"{base}/{application['id']}/evaluation", headers=ops,
                      json={"evaluated_on": "2025-09-20", "evaluation": "合格 (passed)"})
    notice = (await client.post(f"{base}/{application['id']}/notice", headers=ops,
                                json={"notice_from": "2025-09-29"})).json()
    assert (notice["status"], notice["notice_until"]) == ("in_notice", "2025-10-11")  # 国庆 and its make-up Saturday
    during = await client.post(f"{base}/{application['id']}/signing", headers=ops, json={
        "signed_on": "2025-10-11", "number": f"测试协议-{code}", "starts_on": "2025-10-13"})
    assert (during.status_code, during.json()["code"]) == (422, "notice_not_ended")
    assert during.json()["notice_until"] == "2025-10-11"
    backdated = await client.post(f"{base}/{application['id']}/signing", headers=ops, json={
        "signed_on": "2025-10-13", "number": f"测试协议-{code}", "starts_on": "2025-10-01"})
    assert (backdated.status_code, backdated.json()["code"]) == (422, "date_out_of_order")
    signed_agreement = await client.post(f"{base}/{application['id']}/signing", headers=ops, json={
        "signed_on": "2025-10-13", "number": f"测试协议-{code}", "starts_on": "2025-10-13"})
    assert signed_agreement.status_code == 200
    again = await client.post(f"{base}/{application['id']}/refusal", headers=ops,
                              json={"refused_on": "2025-10-14", "reason": "x"})
    assert (again.status_code, again.json()["code"]) == (409, "application_step_out_of_order")
    assert (again.json()["status"], again.json()["application_status"]) == (409, "signed")
    [recorded] = (await client.get(base, headers=ops)).json()
    assert (recorded["status"], recorded["applied_on"], recorded["evaluated_on"], recorded["notice_from"],
            recorded["signed_on"], recorded["agreement_id"]) == (
        "signed", "2025-09-01", "2025-09-20", "2025-09-29", "2025-10-13", signed_agreement.json()["id"])
    hospital = (await client.get(f"/v1/hospitals/{code}", params={"on": "2025-10-13"}, headers=auth(Role.HIS))).json()
    assert hospital["designated"] and hospital["agreement"]["number"] == f"测试协议-{code}"
    assert not (await client.get(f"/v1/hospitals/{code}", params={"on": "2025-10-12"},
                                 headers=auth(Role.HIS))).json()["designated"]


async def test_a_refused_application_signs_nothing(client: AsyncClient, auth) -> None:  # type: ignore[no-untyped-def]
    code = await register(client, auth)
    ops = auth(Role.OPS)
    base = f"/v1/hospitals/{code}/applications"
    application = (await client.post(base, headers=ops, json={"services": ["one_stop_assistance"],
                                                               "applied_on": "2025-03-01"})).json()
    refused = await client.post(f"{base}/{application['id']}/refusal", headers=ops,
                                json={"refused_on": "2025-03-10", "reason": "材料不全 (documents missing)"})
    assert refused.json()["status"] == "refused"
    assert (await client.get(f"/v1/hospitals/{code}/agreements", headers=ops)).json() == []


async def test_suspension_lift_and_termination_decide_designation_by_date(client: AsyncClient, auth) -> None:  # type: ignore[no-untyped-def]
    code = await register(client, auth)
    agreement_id = await signed(client, auth, code, f"枣测协-{code}")
    ops, base = auth(Role.OPS), f"/v1/hospitals/{code}/agreements/{agreement_id}"

    async def designated(on: str) -> bool:
        hospital = await client.get(f"/v1/hospitals/{code}", params={"on": on}, headers=auth(Role.HIS))
        return bool(hospital.json()["designated"])

    assert not await designated("2017-04-30") and await designated("2017-05-01")
    assert (await client.post(f"{base}/suspension", headers=ops, json={
        "suspended_from": "2023-03-01", "reason": "违规整改 (under rectification)"})).status_code == 200
    twice = await client.post(f"{base}/suspension", headers=ops, json={"suspended_from": "2023-03-02", "reason": "x"})
    assert (twice.status_code, twice.json()["code"]) == (409, "agreement_suspended")
    early_lift = await client.post(f"{base}/suspension/lift", headers=ops, json={"lifted_on": "2023-02-01",
                                                                                "reason": "x"})
    assert (early_lift.status_code, early_lift.json()["code"]) == (422, "lift_before_suspension")
    lifted = await client.post(f"{base}/suspension/lift", headers=ops, json={"lifted_on": "2023-04-01",
                                                                            "reason": "整改完成 (rectified)"})
    assert lifted.json()["suspensions"][0]["lifted_on"] == "2023-04-01"
    assert [await designated(d) for d in ("2023-02-28", "2023-03-01", "2023-03-31", "2023-04-01")] == [
        True, False, False, True]
    assert (await client.post(f"{base}/termination", headers=ops, json={
        "terminated_on": "2024-07-01", "reason": "协议解除 (terminated)"})).status_code == 200
    assert await designated("2024-06-30") and not await designated("2024-07-01")
    again = await client.post(f"{base}/termination", headers=ops, json={"terminated_on": "2024-08-01", "reason": "x"})
    assert (again.status_code, again.json()["code"]) == (409, "agreement_terminated")
    other = await client.post(f"/v1/hospitals/060001/agreements/{agreement_id}/suspension", headers=ops,
                              json={"suspended_from": "2023-03-01", "reason": "x"})
    assert (other.status_code, other.json()["code"]) == (404, "agreement_not_found")


async def test_every_write_is_numbered_in_the_change_sequence(client: AsyncClient, auth) -> None:  # type: ignore[no-untyped-def]
    service = auth(Role.SERVICE)
    start = (await client.get("/v1/hospitals/changes", headers=service)).json()
    assert start["items"] == []
    code = await register(client, auth)
    agreement_id = await signed(client, auth, code, f"序列-{code}")
    await client.post(f"/v1/hospitals/{code}/agreements/{agreement_id}/suspension", headers=auth(Role.OPS),
                      json={"suspended_from": clock.today().isoformat(), "reason": "暂停 (suspended)"})
    page = (await client.get("/v1/hospitals/changes", params={"after": start["last_seq"]}, headers=service)).json()
    assert [(c["hospital_code"], c["kind"]) for c in page["items"]] == [
        (code, "registered"), (code, "agreement_signed"), (code, "suspended")]
    seqs = [c["seq"] for c in page["items"]]
    assert seqs == sorted(seqs) and page["last_seq"] == seqs[-1]
    assert (await client.get("/v1/hospitals/changes", params={"after": page["last_seq"]},
                             headers=service)).json() == {"items": [], "last_seq": page["last_seq"]}
    his = await client.get("/v1/hospitals/changes", headers=auth(Role.HIS))
    assert (his.status_code, his.json()["code"]) == (403, "role_not_allowed")


async def test_writers_wait_for_each_other_so_changes_are_numbered_in_commit_order(
    client: AsyncClient, auth, catalog_database: str,  # type: ignore[no-untyped-def]
) -> None:
    code = await register(client, auth)
    writer = await asyncpg.connect(driver_dsn(catalog_database))
    try:
        in_flight = writer.transaction()
        await in_flight.start()  # another writer, its change numbered, not yet committed
        await writer.execute("INSERT INTO hospital_changes (hospital_code, kind, recorded_at)"
                             " VALUES ($1, 'changed', now())", code)
        change = asyncio.create_task(client.patch(f"/v1/hospitals/{code}", headers=auth(Role.OPS), json={
            "level": "level_1", "reason": "等级评审 (level review)"}))
        await asyncio.sleep(0.5)
        assert not change.done()  # numbering after the other would let a reader skip its number
        await in_flight.commit()
        assert (await change).status_code == 200
    finally:
        await writer.close()


async def test_a_refusal_and_a_signing_at_once_one_wins_the_other_is_refused(
    client: AsyncClient, auth, catalog_database: str,  # type: ignore[no-untyped-def]
) -> None:
    code = await register(client, auth)
    ops = auth(Role.OPS)
    base = f"/v1/hospitals/{code}/applications"
    application = (await client.post(base, headers=ops, json={"services": ["one_stop_assistance"],
                                                               "applied_on": "2025-03-03"})).json()
    url = f"{base}/{application['id']}"
    assert (await client.post(f"{url}/evaluation", headers=ops, json={
        "evaluated_on": "2025-03-10", "evaluation": "合格 (passed)"})).status_code == 200
    assert (await client.post(f"{url}/notice", headers=ops, json={"notice_from": "2025-03-17"})).status_code == 200
    holder = await asyncpg.connect(driver_dsn(catalog_database))
    try:
        # the application's row held, so the signing stops at its write, having read "in notice"
        held = holder.transaction()
        await held.start()
        await holder.execute("SELECT id FROM agreement_applications WHERE id = $1 FOR UPDATE", application["id"])
        signing = asyncio.create_task(client.post(f"{url}/signing", headers=ops, json={
            "signed_on": "2025-03-25", "number": f"竞态协议-{code}", "starts_on": "2025-03-25"}))
        await asyncio.sleep(0.5)
        assert not signing.done()
        refusal = asyncio.create_task(client.post(f"{url}/refusal", headers=ops, json={
            "refused_on": "2025-03-25", "reason": "材料不全 (documents missing)"}))
        await asyncio.sleep(0.5)
        await held.rollback()
        signed_answer, refused_answer = await signing, await refusal
    finally:
        await holder.close()
    # the signing, first, wins; the refusal then finds the application signed
    assert signed_answer.status_code == 200, signed_answer.text
    assert (refused_answer.status_code, refused_answer.json()["code"]) == (409, "application_step_out_of_order")
    [recorded] = (await client.get(base, headers=ops)).json()
    assert (recorded["status"], recorded["refused_on"]) == ("signed", None)
    assert [a["number"] for a in (await client.get(f"/v1/hospitals/{code}/agreements", headers=ops)).json()] == [
        f"竞态协议-{code}"]


async def test_a_workflow_date_after_today_is_refused(client: AsyncClient, auth) -> None:  # type: ignore[no-untyped-def]
    code = await register(client, auth)
    ops = auth(Role.OPS)
    base = f"/v1/hospitals/{code}/applications"
    future = await client.post(base, headers=ops, json={"services": ["one_stop_assistance"],
                                                         "applied_on": "2099-01-01"})
    assert (future.status_code, future.json()["code"]) == (422, "date_in_future"), future.text
    assert (await client.get(base, headers=ops)).json() == []
    application = (await client.post(base, headers=ops, json={"services": ["one_stop_assistance"],
                                                               "applied_on": "2025-03-03"})).json()
    url = f"{base}/{application['id']}"
    steps = [("evaluation", {"evaluated_on": "2025-03-10", "evaluation": "合格 (passed)"}),
             ("notice", {"notice_from": "2025-03-17"}),
             ("signing", {"signed_on": "2025-03-25", "number": f"未来协议-{code}", "starts_on": "2025-03-25"})]
    for step, body in steps:  # each step refused with a date after today, then taken with its own
        date_field = next(key for key in body if key.endswith(("_on", "_from")))
        refused = await client.post(f"{url}/{step}", headers=ops, json=body | {date_field: "2099-01-01"})
        assert (refused.status_code, refused.json()["code"]) == (422, "date_in_future"), refused.text
        assert (await client.post(f"{url}/{step}", headers=ops, json=body)).status_code == 200
    other = (await client.post(base, headers=ops, json={"services": ["one_stop_assistance"],
                                                         "applied_on": "2025-03-03"})).json()
    refusal = await client.post(f"{base}/{other['id']}/refusal", headers=ops,
                                json={"refused_on": "2099-01-01", "reason": "材料不全 (documents missing)"})
    assert (refusal.status_code, refusal.json()["code"]) == (422, "date_in_future"), refusal.text


async def test_the_list_on_a_date_counts_only_hospitals_registered_by_then(client: AsyncClient, auth) -> None:  # type: ignore[no-untyped-def]
    await register(client, auth, name="台儿庄区登记日测试医院（示例数据，非真实机构）", effective_from="2024-01-01")
    query = {"name": "登记日测试", "region_code": "370405"}
    before = (await client.get("/v1/hospitals", params=query | {"on": "2023-12-31"}, headers=auth(Role.HIS))).json()
    assert (before["total"], before["items"]) == (0, [])
    on = (await client.get("/v1/hospitals", params=query | {"on": "2024-01-01"}, headers=auth(Role.HIS))).json()
    assert (on["total"], len(on["items"])) == (1, 1)
