"""The README and --help stay true to the CLI."""

from __future__ import annotations

import re

from indexer.cli import cli

from helpers import ROOT


def test_every_command_has_help_and_is_in_the_readme(runner):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert cli.commands, "no commands registered"
    for name, command in cli.commands.items():
        assert command.help and command.help.strip(), f"{name} has no help text"
        assert f"fazhi {name}" in readme, f"`fazhi {name}` is not documented in README.md"
        result = runner.invoke(cli, [name, "--help"])
        assert result.exit_code == 0, result.output
        for param in command.params:
            for opt in getattr(param, "opts", []):
                if opt.startswith("--") and opt != "--help":
                    assert opt in readme, f"option {opt} of `fazhi {name}` missing from README"


def test_readme_quick_start_is_two_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("## Quick start")
    block = readme[start:].split("```")[1]
    commands = [line.split("#")[0].strip() for line in block.splitlines()[1:] if line.strip()]
    assert commands == ["scripts/serve", "scripts/test"]
    for c in commands:
        assert (ROOT / c).exists(), c


def test_changelog_has_an_unreleased_section_then_dated_versions():
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert text.startswith("# Changelog") and "## [Unreleased]" in text
    heads = re.findall(r"^## \[([^\]]+)\](.*)$", text, flags=re.M)
    assert heads[0][0] == "Unreleased"
    versions = heads[1:]
    assert versions, "no released version"
    for version, rest in versions:
        assert re.fullmatch(r"\d+\.\d+\.\d+", version), version
        assert re.fullmatch(r" - \d{4}-\d{2}-\d{2}", rest), (version, rest)
    # newest first, and the package's version is the newest one
    numbers = [tuple(map(int, v.split("."))) for v, _ in versions]
    assert numbers == sorted(numbers, reverse=True)
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert f'version = "{versions[0][0]}"' in pyproject
