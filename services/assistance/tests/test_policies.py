from pathlib import Path

import pytest

from conftest import JWT_SECRET, asgi_client
from services.assistance.app import create_app
from services.assistance.settings import AssistanceSettings
from shared.auth import Role


async def test_policies_in_force_on_a_date(auth) -> None:  # type: ignore[no-untyped-def]
    app = create_app(AssistanceSettings(jwt_secret=JWT_SECRET, log_json=False))
    async with asgi_client(app) as client:
        on_2020 = await client.get("/v1/policies", params={"on": "2020-06-01"}, headers=auth(Role.SERVICE))
        on_2023 = await client.get("/v1/policies", params={"on": "2023-01-01"}, headers=auth(Role.SERVICE))
        everything = await client.get("/v1/policies", headers=auth(Role.OPS))
        anonymous = await client.get("/v1/policies")
    assert {p["id"] for p in on_2020.json()} == {"yantai-2018", "yantai-2018-development-zone", "taierzhuang-2017"}
    assert {p["id"] for p in on_2023.json()} == {"yantai-2023", "taierzhuang-2017"}
    assert len(everything.json()) == 4
    assert anonymous.status_code == 401


def test_an_invalid_policy_file_stops_the_service(tmp_path: Path) -> None:
    (tmp_path / "index.toml").write_text(
        '[[policy]]\nid = "x"\nname = "x"\nregion_code = "370600"\n'
        "effective_from = 2023-01-01\neffective_until = 2022-12-31\nsource = \"test\"\n"
    )
    with pytest.raises(ValueError, match="effective_until is before effective_from"):
        create_app(AssistanceSettings(jwt_secret=JWT_SECRET, policy_dir=tmp_path, log_json=False))
