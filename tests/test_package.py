from click.testing import CliRunner

from iotbaseline.cli import main
from iotbaseline.inventory.index import FileIndex


def test_version_and_help() -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["--version"])
    assert result.exit_code == 0 and "iotbaseline" in result.output
    assert runner.invoke(main, ["--help"]).exit_code == 0


def test_index_never_resolves_out_of_root(tmp_path) -> None:
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "passwd").symlink_to("/tmp/passwd")
    (root / "etc" / "up").symlink_to("../../../../etc/hostname")
    (root / "etc" / "shadow").write_text("root::0:0:99999:7:::\n")
    index = FileIndex.from_directory(root)
    assert index.read_text("/etc/passwd") is None  # dangling inside the firmware
    assert index.read_text("/etc/up") is None  # climbs out: clamped to /etc/hostname, absent
    assert index.read_text("/etc/shadow").startswith("root::")


def test_every_option_of_every_command_has_help_text() -> None:
    """`--help` is the user's manual: an option shown without a word of explanation (checks run
    -o, demo -o, probe -o/--lockout-attempts, diff/catalog export --format) was a gap."""
    import click

    from iotbaseline.cli import main

    ctx = click.Context(main)
    missing: list[str] = []

    def walk(cmd: click.Command, name: str) -> None:
        if isinstance(cmd, click.Group):
            for sub in cmd.list_commands(ctx):
                walk(cmd.get_command(ctx, sub), f"{name} {sub}")  # type: ignore[arg-type]
            return
        if not cmd.help:
            missing.append(f"{name}: no description")
        missing.extend(f"{name} {p.opts[-1]}" for p in cmd.params
                       if isinstance(p, click.Option) and not p.help and p.name != "help")

    walk(main, "iotbaseline")
    assert missing == []


def test_an_unhandled_crash_is_exit_3_with_a_debug_log(monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A command crashing where it does not map errors itself (`checks run` writing its file,
    `demo` creating its directory…) printed a Python traceback and exited 1."""
    import re
    from pathlib import Path

    from click.testing import CliRunner

    import iotbaseline.cli.catalog as catalog_cli
    from iotbaseline.cli import main

    def boom() -> None:
        raise RuntimeError("simulated bug")

    monkeypatch.setattr(catalog_cli, "load_catalogs", boom)
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # the log goes to the test's folder
    result = CliRunner().invoke(main, ["catalog", "list"])
    assert result.exit_code == 3
    assert "Traceback" not in result.output and "simulated bug" in result.output
    log = Path(re.search(r"details in (\S+)", result.output).group(1))  # type: ignore[union-attr]
    assert log.parent == tmp_path and "RuntimeError: simulated bug" in log.read_text()
