"""The Dockerfile and .dockerignore keep their promises (no Docker engine here, so read them)."""

from __future__ import annotations

import re

from tests.server.conftest import REPO_ROOT

DOCKERFILE = (REPO_ROOT / "server" / "Dockerfile").read_text()
DOCKERIGNORE = (REPO_ROOT / ".dockerignore").read_text().splitlines()


def instructions(name: str) -> list[str]:
    return [line.split(None, 1)[1] for line in DOCKERFILE.splitlines() if line.startswith(f"{name} ")]


def context_copies() -> list[tuple[list[str], str]]:
    """(sources, destination) of every COPY from the build context (not from another stage)."""
    copies = []
    for arguments in instructions("COPY"):
        if arguments.startswith("--from"):
            continue
        *sources, destination = arguments.split()
        copies.append((sources, destination))
    return copies


def test_base_image_is_slim_python_311_pinned_to_a_patch_version() -> None:
    bases = {line.split()[0] for line in instructions("FROM")}
    # Both stages, the same literal base (scanners cannot resolve an ARG in FROM).
    assert len(bases) == 1
    assert re.fullmatch(r"python:3\.11\.\d+-slim(-\w+)?", bases.pop())


def test_image_installs_only_the_hash_pinned_server_category() -> None:
    assert "pipenv requirements --categories server --hash" in DOCKERFILE
    assert "--require-hashes --no-deps" in DOCKERFILE
    assert re.search(r"pip install pipenv==\d+\.\d+\.\d+", DOCKERFILE)


def test_runtime_stage_is_non_root_exposes_the_port_and_has_a_healthcheck() -> None:
    assert len(instructions("FROM")) == 2  # builder + runtime
    runtime = DOCKERFILE.rsplit("FROM ", 1)[1]
    assert "USER 10001:10001" in runtime
    assert "EXPOSE 8000" in runtime  # the port the stack's target group forwards to
    assert 'CMD ["python", "-m", "server.healthcheck"]' in runtime
    assert "MCP_HOST=0.0.0.0" in runtime
    assert "pipenv" not in runtime.replace("pipenv requirements", "")  # the tool stays in the builder


def test_dockerignore_admits_only_server_code_and_the_lock() -> None:
    rules = [line.strip() for line in DOCKERIGNORE if line.strip() and not line.startswith("#")]
    assert rules[0] == "*"
    assert {rule for rule in rules if rule.startswith("!")} == {"!server/", "!Pipfile", "!Pipfile.lock"}
    copied = {source for sources, _ in context_copies() for source in sources}
    assert copied == {"Pipfile", "Pipfile.lock", "server/"}


def test_every_copy_source_exists_in_the_build_context() -> None:
    # Every source of every COPY, not only the first: a missing Pipfile.lock fails `docker build`.
    copies = context_copies()
    assert copies == [(["Pipfile", "Pipfile.lock"], "./"), (["server/"], "./server/")]
    for sources, _ in copies:
        for source in sources:
            path = REPO_ROOT / source
            assert path.is_dir() if source.endswith("/") else path.is_file(), (
                f"COPY {source}: not in the repo"
            )
    assert (REPO_ROOT / "server" / "__main__.py").is_file()  # what CMD ["python", "-m", "server"] runs
