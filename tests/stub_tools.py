"""Stand-ins for the `docker` and `aws` executables, first on PATH, for tests without a Docker engine.

Each invocation is appended to calls.jsonl (tool, argv, stdin). They behave like the real tools
where the push script depends on it: `aws ecr describe-images` fails (exit 254) unless the
requested tag was pushed by an earlier stub `docker buildx build --push`; `aws ecr
get-login-password` prints a password; `docker login --password-stdin` reads it. With
STUB_DOCKER_BUILD_FAILS set, `docker buildx build` fails as a broken Dockerfile step does.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_STUB = """#!{python}
import json, sys, os
log = {log!r}
pushed_file = {pushed!r}
tool, args = {tool!r}, sys.argv[1:]
stdin = ""
if tool == "docker" and "--password-stdin" in args:
    stdin = sys.stdin.read()
with open(log, "a") as handle:
    handle.write(json.dumps({{"tool": tool, "args": args, "stdin": stdin, "cwd": os.getcwd()}}) + "\\n")
pushed = open(pushed_file).read().split() if os.path.exists(pushed_file) else []
if tool == "aws" and args[:2] == ["ecr", "describe-images"]:
    tag = next(a.split("=", 1)[1] for a in args if a.startswith("imageTag="))
    repository = args[args.index("--repository-name") + 1]
    if any(p.endswith("/" + repository + ":" + tag) for p in pushed):
        print(json.dumps({{"imageDetails": [{{"imageTags": [tag]}}]}}))
        sys.exit(0)
    print("An error occurred (ImageNotFoundException)", file=sys.stderr)
    sys.exit(254)
if tool == "aws" and args[:2] == ["ecr", "get-login-password"]:
    print("stub-ecr-password")
if tool == "docker" and args[:2] == ["buildx", "build"] and os.environ.get("STUB_DOCKER_BUILD_FAILS"):
    # What buildx prints when a Dockerfile step fails; nothing is pushed.
    print("ERROR: failed to solve: process '/bin/sh -c pip install' did not complete successfully:"
          " exit code: 1", file=sys.stderr)
    sys.exit(1)
if tool == "docker" and args[:2] == ["buildx", "build"] and "--push" in args:
    with open(pushed_file, "a") as handle:
        handle.write(args[args.index("--tag") + 1] + "\\n")
sys.exit(0)
"""


@dataclass(frozen=True)
class StubTools:
    bin_dir: Path
    log: Path

    def calls(self, tool: str | None = None) -> list[dict[str, Any]]:
        if not self.log.exists():
            return []
        entries = [json.loads(line) for line in self.log.read_text().splitlines()]
        return [e for e in entries if tool is None or e["tool"] == tool]

    def builds(self) -> list[list[str]]:
        return [c["args"] for c in self.calls("docker") if c["args"][:2] == ["buildx", "build"]]

    def clear(self) -> None:
        self.log.unlink(missing_ok=True)


def install_stub_tools(directory: Path) -> StubTools:
    bin_dir = directory / "bin"
    bin_dir.mkdir(parents=True, exist_ok=True)
    log, pushed = directory / "calls.jsonl", directory / "pushed.txt"
    for tool in ("aws", "docker"):
        path = bin_dir / tool
        path.write_text(_STUB.format(python=sys.executable, log=str(log), pushed=str(pushed), tool=tool))
        path.chmod(0o755)
    return StubTools(bin_dir, log)
