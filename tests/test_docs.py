"""The README and --help stay true to the CLI."""

from __future__ import annotations

from indexer.cli import cli

from conftest import ROOT


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


def test_changelog_has_unreleased_section():
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert text.startswith("# Changelog") and "## [Unreleased]" in text
