"""Emulated AWS for the deploy suite: moto on a free loopback port, a scratch copy of the project,
stub docker/aws executables, and helpers that run the user's real commands (cdktf, terraform).

Every test here is marked `deploy`: `pipenv run test -m deploy` runs the suite alone,
`-m "not deploy"` skips it.

Each module is one user's flow against one emulated account: its tests run in file order and share
the module's deployment (an apply from empty is the suite's most expensive step), so a test relies on
what the tests above it did. pytest keeps file order, and `--dist loadfile` (pyproject.toml) keeps a
module on one xdist worker; run a single test and its fixtures deploy what it needs, but the later
steps of a flow (the migration, the teardown) expect the earlier ones to have run.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest

from server.contract import MAIN_STACK_NAME
from stacks.node_env import JSII_QUIET_ENV
from tests.stub_tools import StubTools, install_stub_tools
from tests.terraform_cli import terraform, write_cli_config

ROOT = Path(__file__).resolve().parents[2]
CDKTF = ROOT / "node_modules" / ".bin" / "cdktf"
REGION = "us-east-1"
#: cdktf runs `terraform providers lock` (a registry call) when a stack has no lock file yet; this
#: machine only has a filesystem mirror, so the suite passes the CLI's switch for that case.
SKIP_LOCK = ("--skip-provider-lock",)
#: What a deploy reads from the project; everything else (tests, docs, caches) stays behind.
PROJECT_FILES = (
    "main.py",
    "cdktf.json",
    "Pipfile",
    "Pipfile.lock",
    ".dockerignore",
    "stacks",
    "server",
    "export_hcl",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if Path(str(item.fspath)).is_relative_to(Path(__file__).parent):
            item.add_marker(pytest.mark.deploy)


def free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass(frozen=True)
class Emulator:
    url: str
    #: The self-signed certificate moto serves; clients trust it through AWS_CA_BUNDLE.
    ca_bundle: Path


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    cert, key = directory / "moto.crt", directory / "moto.key"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return cert, key


@pytest.fixture(scope="module")
def moto_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    """moto (with the emulator corrections of moto_launcher.py) over TLS on 127.0.0.1 only; one
    empty account per test module, so one flow's leftovers cannot break another."""
    directory = tmp_path_factory.mktemp("moto")
    cert, key = self_signed_certificate(directory)
    port = free_loopback_port()
    log = directory / "moto.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [
                sys.executable,
                str(Path(__file__).with_name("moto_launcher.py")),
                "--port",
                str(port),
                "--ssl-cert",
                str(cert),
                "--ssl-key",
                str(key),
            ],
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    emulator = Emulator(url=f"https://127.0.0.1:{port}", ca_bundle=cert)
    trust = ssl.create_default_context(cafile=str(cert))
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"{emulator.url}/moto-api/", timeout=1, context=trust)
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"moto did not start:\n{log.read_text()}") from None
            time.sleep(0.2)
    yield emulator
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:  # seen once: moto busy in a request ignored SIGTERM
        process.kill()
        process.wait(timeout=10)


@dataclass
class Project:
    """A scratch copy of the project wired to emulated AWS; commands run as a user would type them."""

    root: Path
    env: dict[str, str]
    stubs: StubTools
    emulator: Emulator
    overrides: dict[str, str] = field(default_factory=dict)

    def stack_dir(self, stack: str = MAIN_STACK_NAME) -> Path:
        return self.root / "cdktf.out" / "stacks" / stack

    def command_env(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        return {**self.env, **self.overrides, **(extra or {})}

    def cdktf_result(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        """`cdktf <args>` in the project, whatever its exit code."""
        return subprocess.run(
            [str(CDKTF), *args],
            cwd=self.root,
            env=self.command_env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def cdktf(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        result = self.cdktf_result(*args, timeout=timeout)
        if result.returncode != 0:
            raise AssertionError(
                f"cdktf {' '.join(args)} failed ({result.returncode}):\n"
                f"{result.stdout[-6000:]}\n{result.stderr[-4000:]}"
            )
        return result

    def deploy(self, stack: str = MAIN_STACK_NAME, *, migrate_state: bool = False) -> dict[str, Any]:
        """`cdktf deploy <stack> --auto-approve` (with `--migrate-state`); returns the stack's outputs."""
        outputs = self.root / "outputs.json"
        self.cdktf(
            "deploy",
            stack,
            *SKIP_LOCK,
            *(["--migrate-state"] if migrate_state else []),
            "--auto-approve",
            "--outputs-file",
            str(outputs),
            "--outputs-file-include-sensitive-outputs",
        )
        return json.loads(outputs.read_text())[stack]

    def destroy(self, stack: str = MAIN_STACK_NAME) -> None:
        self.cdktf("destroy", stack, *SKIP_LOCK, "--auto-approve")

    def synth(self) -> None:
        """What cdktf runs first: the app command from cdktf.json."""
        subprocess.run(
            [sys.executable, "main.py"], cwd=self.root, env=self.command_env(), check=True, timeout=300
        )

    def terraform(
        self, *args: str, stack: str = MAIN_STACK_NAME, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        return terraform(list(args), self.stack_dir(stack), self.command_env(), check=check)

    def export_hcl(self, outdir: str = "terraform", *, force: bool = False) -> Path:
        """`pipenv run export-hcl [--force] <outdir>` in the project; returns the main stack's module."""
        subprocess.run(
            [sys.executable, "-m", "export_hcl", *(["--force"] if force else []), outdir],
            cwd=self.root,
            env=self.command_env(),
            check=True,
            timeout=600,
            capture_output=True,
        )
        return self.root / outdir / MAIN_STACK_NAME

    def client(self, service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.emulator.url,
            verify=str(self.emulator.ca_bundle),
            region_name=REGION,
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )


def make_project(directory: Path, emulator: Emulator) -> Project:
    root = directory / "project"
    root.mkdir(parents=True)
    for name in PROJECT_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, root / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        elif source.exists():
            shutil.copy2(source, root / name)
    # cdktf.json's app is `pipenv run python main.py`; pipenv would only find this checkout's
    # virtualenv again (seconds per synth), so the scratch project runs it with that python directly.
    settings = json.loads((root / "cdktf.json").read_text())
    settings["app"] = f"{sys.executable} main.py"
    (root / "cdktf.json").write_text(json.dumps(settings, indent=2))
    stubs = install_stub_tools(directory / "stubs")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MCP_STACK_"))},
        "PATH": f"{stubs.bin_dir}{os.pathsep}{os.environ['PATH']}",
        "AWS_ENDPOINT_URL": emulator.url,
        "AWS_CA_BUNDLE": str(emulator.ca_bundle),
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_REGION": REGION,
        "TF_CLI_CONFIG_FILE": str(write_cli_config(directory)),
        "TF_IN_AUTOMATION": "1",
        "CHECKPOINT_DISABLE": "1",
        "CI": "1",
        **JSII_QUIET_ENV,
    }
    return Project(root=root, env=env, stubs=stubs, emulator=emulator)
