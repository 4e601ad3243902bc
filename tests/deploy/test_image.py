"""deploy/Dockerfile, read statically (no Docker engine runs here, and no Dockerfile linter is
installed): the properties the run-book promises, each of which a careless edit could break."""

import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
PINNED = re.compile(r"^(?P<name>[a-z0-9./-]+):(?P<tag>\d+\.\d+\.\d+[A-Za-z0-9.-]*)@sha256:[0-9a-f]{64}$")
COMPILERS = re.compile(r"\b(gcc|g\+\+|cc|c\+\+|clang|build-essential|make|cmake|rustc|cargo|python3?-dev)\b")
PACKAGE_INSTALL = re.compile(r"\b(apt-get|apt|apk|yum|dnf)\s+(-\S+\s+)*(install|add)\b")


@dataclass
class Stage:
    image: str
    name: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def all(self, keyword: str) -> list[str]:
        return [args for kw, args in self.instructions if kw == keyword]


def parse(text: str) -> list[Stage]:
    """Instructions by stage, continuation lines joined, comments dropped."""
    logical, pending = [], ""
    for line in text.splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        pending += line.rstrip()
        if pending.endswith("\\"):
            pending = pending[:-1] + " "
            continue
        logical.append(pending.strip())
        pending = ""
    stages: list[Stage] = []
    for line in logical:
        keyword, _, args = line.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            words = args.split()
            stages.append(Stage(words[0], words[2] if len(words) == 3 and words[1].upper() == "AS" else None))
        elif stages:
            stages[-1].instructions.append((keyword, args.strip()))
    return stages


@pytest.fixture(scope="module")
def stages() -> list[Stage]:
    return parse(DOCKERFILE.read_text())


def test_multi_stage_from_one_base_pinned_by_version_tag_and_digest(stages: list[Stage]) -> None:
    assert len(stages) >= 2
    for stage in stages:
        match = PINNED.match(stage.image)
        assert match, f"{stage.image}: pin the base by version tag and digest"
        assert match["name"] in ("python", "docker.io/library/python")
    assert len({stage.image for stage in stages}) == 1, "build and final stage drift apart"


def test_the_final_stage_runs_as_a_numeric_non_root_user(stages: list[Stage]) -> None:
    users = stages[-1].all("USER")
    assert users, "no USER: the container would run as root"
    uid = users[-1].split(":")[0]
    assert uid.isdigit() and int(uid) >= 1000, "numeric (runAsNonRoot checks it) and not a system id"


def test_no_compiler_or_package_install_in_the_final_stage(stages: list[Stage]) -> None:
    final = stages[-1]
    for command in final.all("RUN"):
        assert not PACKAGE_INSTALL.search(command), command
        assert not COMPILERS.search(command), command
    copied_from = {re.search(r"--from=(\S+)", c)[1] for c in final.all("COPY") if "--from=" in c}  # type: ignore[index]
    assert copied_from <= {s.name for s in stages[:-1]}
    for copy in final.all("COPY"):
        assert "/usr/bin" not in copy and "/usr/lib/gcc" not in copy, copy


def test_read_only_root_file_system_friendly(stages: list[Stage]) -> None:
    environment = " ".join(stages[-1].all("ENV"))
    assert "PYTHONDONTWRITEBYTECODE=1" in environment  # no __pycache__ written at run time
    assert any("compileall" in run for run in stages[0].all("RUN")), "byte code compiled at build time"
    assert "TMPDIR=/tmp" in environment  # the one writable place: a tmpfs or an emptyDir


def test_no_service_migrates_at_start(stages: list[Stage]) -> None:
    final = stages[-1]
    assert final.all("ENTRYPOINT") == []
    for cmd in final.all("CMD"):
        assert "migrate" not in re.findall(r"\w+", cmd.split("print(")[0]), cmd


def test_dependencies_are_the_projects_and_installed_from_wheels_only(stages: list[Stage]) -> None:
    runs = " ".join(stages[0].all("RUN"))
    assert "pyproject.toml" in runs and "--only-binary=:all:" in runs


def test_everything_copied_exists_and_the_context_holds_only_that(stages: list[Stage]) -> None:
    sources = []
    for stage in stages:
        for copy in stage.all("COPY"):
            if "--from=" not in copy:
                sources.extend(copy.split()[:-1])
    assert sources
    ignore = (ROOT / ".dockerignore").read_text().splitlines()
    rules = [line for line in ignore if line and not line.startswith("#")]
    assert rules[0] == "*", "the context excludes everything it does not name (.venv, var/, .git)"
    included = {line[1:].rstrip("/") for line in ignore if line.startswith("!")}
    for source in sources:
        assert (ROOT / source).exists(), source
        assert source.rstrip("/") in included, f"{source} is copied but .dockerignore leaves it out"
    assert "**/tests/" in ignore and ".venv" not in included


def test_the_checks_catch_a_broken_dockerfile() -> None:
    broken = DOCKERFILE.read_text().replace("USER 10001:10001", "USER root")
    final = parse(broken)[-1]
    assert not final.all("USER")[-1].split(":")[0].isdigit()
    unpinned = parse(DOCKERFILE.read_text().replace("@sha256:", "-x@sha256:", 1).replace(":3.11.14", ":3.11", 1))
    assert not PINNED.match(unpinned[0].image)
    assert PACKAGE_INSTALL.search("apt-get install -y --no-install-recommends gcc")
    assert COMPILERS.search("apt-get install -y --no-install-recommends gcc")
