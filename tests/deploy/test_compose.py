"""deploy/compose/compose.yaml against the Compose Specification's JSON schema (as check-jsonschema
vendors it: no Docker engine or compose plugin runs here), and the properties the platform needs."""

from pathlib import Path

import jsonschema_rs
import pytest
import yaml
from check_jsonschema.builtin_schemas import get_builtin_schema

from deploy.run_local import SERVICES, WITH_DATABASE
from tests.deploy.settings_env import unknown_variables

COMPOSE = Path(__file__).resolve().parents[2] / "deploy" / "compose" / "compose.yaml"


@pytest.fixture(scope="module")
def compose() -> dict:  # type: ignore[type-arg]
    return yaml.safe_load(COMPOSE.read_text())  # anchors and merge keys resolved, as compose does


def test_the_file_is_valid_against_the_compose_specification(compose: dict) -> None:  # type: ignore[type-arg]
    validator = jsonschema_rs.validator_for(get_builtin_schema("vendor.compose-spec"))
    errors = [f"{'/'.join(map(str, e.instance_path))}: {e.message}" for e in validator.iter_errors(compose)]
    assert errors == []


def test_the_schema_check_would_catch_a_broken_file(compose: dict) -> None:  # type: ignore[type-arg]
    validator = jsonschema_rs.validator_for(get_builtin_schema("vendor.compose-spec"))
    broken = compose | {"services": compose["services"] | {"settlement": {
        **compose["services"]["settlement"], "depends_on": {"registry": {"condition": "when_it_feels_like_it"}}}}}
    assert not validator.is_valid(broken)


def test_each_service_serves_from_the_one_image_as_a_non_root_read_only_container(compose: dict) -> None:  # type: ignore[type-arg]
    services = compose["services"]
    for name in SERVICES:
        service = services[name]
        assert service["command"] == ["python", "-m", f"services.{name}", "serve", "--host", "0.0.0.0",
                                      "--port", "8000"]
        assert service["image"] == "assistance-platform:local"
        assert service["build"] == {"context": "../..", "dockerfile": "deploy/Dockerfile"}
        assert service["read_only"] is True and service["tmpfs"] == ["/tmp"]
        assert not service["user"].startswith("0") and service["cap_drop"] == ["ALL"]
        assert "/readyz" in " ".join(service["healthcheck"]["test"])
        assert unknown_variables(name, set(service.get("environment", {}))) == set()


def test_migrations_run_once_in_their_own_step_before_the_services(compose: dict) -> None:  # type: ignore[type-arg]
    services = compose["services"]
    migrate = services["migrate"]
    assert migrate["command"][-1] == " && ".join(f"python -m services.{s} migrate" for s in WITH_DATABASE)
    assert "restart" not in migrate
    for name in WITH_DATABASE:
        assert services[name]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
        assert services[name]["depends_on"]["postgres"] == {"condition": "service_healthy"}
    for name, service in services.items():
        if name != "migrate":
            assert "migrate" not in service.get("command", [])[:4], name


def test_settlement_starts_after_its_peers_are_ready(compose: dict) -> None:  # type: ignore[type-arg]
    depends = compose["services"]["settlement"]["depends_on"]
    for peer in ("registry", "catalog", "assistance"):
        assert depends[peer] == {"condition": "service_healthy"}
    assert compose["services"]["registry"]["depends_on"]["catalog"] == {"condition": "service_healthy"}
    for backing in ("postgres", "rabbitmq"):
        assert "healthcheck" in compose["services"][backing]


def test_the_workers_relay_to_rabbitmq_once_it_is_ready(compose: dict) -> None:  # type: ignore[type-arg]
    services = compose["services"]
    for name in ("registry", "settlement"):
        worker = services[f"{name}-worker"]
        assert worker["command"] == ["python", "-m", f"services.{name}", "worker"]
        assert worker["image"] == services[name]["image"] and worker["read_only"]
        assert worker["depends_on"]["rabbitmq"] == {"condition": "service_healthy"}
        assert worker["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
        # The worker and the server read the same settings: the server shows the relay's lag on /metrics.
        assert worker["environment"] == services[name]["environment"]
        broker = worker["environment"][f"{name.upper()}_BROKER_URL"]
        user = services["rabbitmq"]["environment"]
        assert broker == f"amqp://{user['RABBITMQ_DEFAULT_USER']}:{user['RABBITMQ_DEFAULT_PASS']}@rabbitmq:5672/"
        assert unknown_variables(name, set(worker["environment"])) == set()
    assert services["settlement-worker"]["depends_on"]["registry"] == {"condition": "service_healthy"}
