"""The session's synth cache: one synth per configuration, never an entry made from other sources."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.synth_cache import ROOT, entry_name, fingerprint, synthesized, wait_for

FULL_FEATURED = (ROOT / "examples" / "full-featured.json").resolve()


def fake_build(calls: list[Path]) -> Callable[[Path], None]:
    def build(outdir: Path) -> None:
        calls.append(outdir)
        (outdir / "stacks").mkdir(parents=True)

    return build


def test_a_configuration_is_built_once_and_found_by_its_name(tmp_path: Path) -> None:
    calls: list[Path] = []
    first = synthesized(tmp_path, FULL_FEATURED, {}, fake_build(calls))
    again = synthesized(tmp_path, FULL_FEATURED, {}, fake_build(calls))

    assert first == again == tmp_path / "full-featured"
    assert calls == [first]
    # What the scan asks for: the plain example by its name.
    assert wait_for(tmp_path, "full-featured", FULL_FEATURED, timeout=0) == first / "stacks"


def test_overrides_get_an_entry_of_their_own(tmp_path: Path) -> None:
    calls: list[Path] = []
    plain = synthesized(tmp_path, None, {}, fake_build(calls))
    tuned = synthesized(tmp_path, None, {"waf_enabled": True}, fake_build(calls))

    assert plain.name == "default"
    assert tuned.name == entry_name(None, {"waf_enabled": True}) != "default"
    assert calls == [plain, tuned]
    assert wait_for(tmp_path, "oauth", None, timeout=0) is None  # never made: the scan makes its own


def test_an_entry_made_from_other_sources_is_made_again(tmp_path: Path) -> None:
    calls: list[Path] = []
    entry = synthesized(tmp_path, None, {}, fake_build(calls))
    done = entry / "done"
    done.write_text(done.read_text().replace(fingerprint(), "0" * 64))  # yesterday's sources

    assert wait_for(tmp_path, "default", None, timeout=0) is None
    synthesized(tmp_path, None, {}, fake_build(calls))
    assert calls == [entry, entry]
    assert wait_for(tmp_path, "default", None, timeout=0) == entry / "stacks"


def test_the_fingerprint_follows_every_input_of_a_synth(tmp_path: Path) -> None:
    for name in ("main.py", "stacks/app.py", "server/contract.py", "examples/oauth.json"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("one")
    before = fingerprint(tmp_path)
    for name in ("stacks/app.py", "server/contract.py", "examples/oauth.json"):
        (tmp_path / name).write_text("two")
        assert fingerprint(tmp_path) != before, name
        before = fingerprint(tmp_path)
    (tmp_path / "README.md").write_text("not an input")
    assert fingerprint(tmp_path) == before
