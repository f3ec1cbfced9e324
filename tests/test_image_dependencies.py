"""The image's dependency set (Pipfile's [server] category) stays in step with what the project runs.

The container installs exactly `pipenv requirements --categories server --hash`; the development
environment runs [packages]. Both must ask for the same server libraries and lock the same
versions, or the tests would exercise something other than what ships.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PIPFILE = tomllib.loads((ROOT / "Pipfile").read_text())
LOCK = json.loads((ROOT / "Pipfile.lock").read_text())

#: Infrastructure-only packages that must never reach the image. (python-dateutil does: botocore,
#: under the OAuth mode's DynamoDB store, needs it at run time.)
INFRA_ONLY = {"cdktf", "cdktf-cdktf-provider-aws", "constructs", "jsii"}


def test_server_category_repeats_the_packages_entries_verbatim() -> None:
    server, packages = PIPFILE["server"], PIPFILE["packages"]
    assert server
    assert {name: packages.get(name) for name in server} == server


def test_locked_server_versions_equal_the_development_environment() -> None:
    differing = {
        name: (entry["version"], LOCK["default"].get(name, {}).get("version"))
        for name, entry in LOCK["server"].items()
        if LOCK["default"].get(name, {}).get("version") != entry["version"]
    }
    assert differing == {}


def test_image_dependency_set_has_no_infrastructure_packages_and_every_hash() -> None:
    assert not INFRA_ONLY & set(LOCK["server"])
    assert all(entry.get("hashes") for entry in LOCK["server"].values())
