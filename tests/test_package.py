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
