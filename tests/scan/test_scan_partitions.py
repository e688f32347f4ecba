"""One device from several partition dumps (issue 12 part 4).

Synthetic devices are built here with mksquashfs / mkfs.jffs2 (squashfs-tools, mtd-utils in
system-packages.txt); the real ones are read from $IOTBASELINE_CORPUS and compared with their
GROUND_TRUTH.md and with ``unsquashfs`` as the reference tool.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import zlib
from pathlib import Path

import pytest

from iotbaseline.analysis.mounts import parse_fstab, parse_mount_commands
from iotbaseline.analysis.partitions import PartitionError, extract_device, parse_mount_options
from iotbaseline.analysis.uboot_env import parse_uboot_env

CORPUS = os.environ.get("IOTBASELINE_CORPUS")
needs_corpus = pytest.mark.skipif(not CORPUS, reason="IOTBASELINE_CORPUS not set: real partition dumps not available")


def _env_partition(variables: list[str], size: int = 0x2000) -> bytes:
    body = b"\0".join(v.encode() for v in variables) + b"\0\0"
    body += b"\xff" * (size - 4 - len(body))
    return zlib.crc32(body).to_bytes(4, "little") + body


# ---- U-Boot environment -----------------------------------------------------------------
def test_uboot_env_bootargs_assembled_by_script_and_mtdparts() -> None:
    data = _env_partition([
        "consoledev=ttyS1", "baudrate=115200",
        "extra=root=/dev/mtdblock2 rootfstype=squashfs mtdparts=nor:64k(boot),64K(env),1m(rootfs),-(app)",
        "bootcmd=setenv bootargs console=${consoledev},${baudrate} ${extra}; bootm",
    ])
    env = parse_uboot_env(data)
    assert env is not None and env.crc_ok and not env.redundant
    assert env.bootargs["console"] == "ttyS1,115200"
    assert env.bootargs["root"] == "/dev/mtdblock2"
    assert [(p.index, p.name, p.size, p.offset) for p in env.mtdparts] == [
        (0, "boot", 0x10000, 0), (1, "env", 0x10000, 0x10000), (2, "rootfs", 0x100000, 0x20000),
        (3, "app", None, 0x120000)]


def test_uboot_env_redundant_and_not_an_env() -> None:
    body = b"bootdelay=3\0baudrate=9600\0\0" + b"\0" * 100
    data = zlib.crc32(body).to_bytes(4, "big") + b"\x01" + body
    env = parse_uboot_env(data)
    assert env is not None and env.redundant and env.crc_ok and env.variables["baudrate"] == "9600"
    assert parse_uboot_env(os.urandom(4096)) is None
    assert parse_uboot_env(b"hsqs" + b"\0" * 60) is None


# ---- mount statements -------------------------------------------------------------------
def test_mount_lines_and_fstab() -> None:
    script = "\n".join([
        "#!/bin/sh",
        "mount -t proc proc /proc",
        "mount -t jffs2 /dev/mtdblock5 /mnt/conf && echo ok",
        "[ -d /x ] && mount -o ro -t squashfs /dev/mtdblock/4 /opt/app",
        "mount $DEV /var",
        "mount -o remount,rw /",
        "# mount -t jffs2 /dev/mtdblock6 /commented",
        "mount -t ubifs ubi0:data /data",
    ])
    found = parse_mount_commands(script, "/etc/init.d/rcS")
    assert [(m.device, m.mount_point, m.fstype, m.source) for m in found] == [
        ("/dev/mtdblock5", "/mnt/conf", "jffs2", "/etc/init.d/rcS:3"),
        ("/dev/mtdblock/4", "/opt/app", "squashfs", "/etc/init.d/rcS:4"),
        ("ubi0:data", "/data", "ubifs", "/etc/init.d/rcS:8"),
    ]
    assert [m.mtd_index for m in found] == [5, 4, None]
    assert found[2].mtd_name == "data"
    fstab = parse_fstab("proc /proc proc defaults 0 0\n/dev/mtdblock3 /usr/local jffs2 defaults 0 0\n",
                        "/etc/fstab")
    assert [(m.mount_point, m.mtd_index, m.source) for m in fstab] == [("/usr/local", 3, "/etc/fstab:2")]


def test_mount_options_are_checked() -> None:
    assert parse_mount_options(("conf=/mnt/conf",), ["rootfs.bin", "conf.bin"]) == {"conf.bin": "/mnt/conf"}
    for bad in ("conf", "nosuch=/x", "conf=relative", "conf=/a/../b"):
        with pytest.raises(PartitionError):
            parse_mount_options((bad,), ["rootfs.bin", "conf.bin"])


# ---- a synthetic device -----------------------------------------------------------------
def _synthetic_device(tmp: Path) -> list[Path]:
    root = tmp / "root"
    for name in ("etc/init.d", "bin", "sbin", "lib", "usr", "mnt/app", "mnt/cfg"):
        (root / name).mkdir(parents=True)
    (root / "etc/inittab").write_text("::sysinit:/etc/init.d/rcS\n")
    (root / "etc/init.d/rcS").write_text(
        "#!/bin/sh\nmount -t squashfs /dev/mtdblock3 /mnt/app\n"
        "mount -t jffs2 /dev/mtdblock4 /mnt/cfg\n/mnt/app/start.sh &\n")
    (root / "mnt/app/hidden-by-mount").write_text("x")
    app = tmp / "app"
    app.mkdir()
    (app / "start.sh").write_text("#!/bin/sh\n/mnt/app/daemon\n")
    (app / "config").symlink_to("/mnt/cfg/settings.ini")
    cfg = tmp / "cfg"
    cfg.mkdir()
    (cfg / "settings.ini").write_text("[web]\nuser=admin\npassword=admin\n")
    out = tmp / "dumps"
    out.mkdir()
    for name, tree in (("rootfs", root), ("app", app)):
        subprocess.run(["mksquashfs", str(tree), str(out / f"{name}.bin"), "-noappend", "-quiet",
                        "-comp", "gzip", "-all-root"], check=True, capture_output=True)
    subprocess.run(["mkfs.jffs2", "-r", str(cfg), "-o", str(out / "cfg.bin"), "-e", "0x10000",
                    "-l", "-p", "0x40000"], check=True, capture_output=True)
    env = _env_partition(["bootargs=console=ttyS0,115200 root=/dev/mtdblock2 "
                          "mtdparts=spi:64k(boot),64k(env),1m(rootfs),1m(app),256k(cfg)"], 0x10000)
    (out / "env.bin").write_bytes(env)
    return [out / "rootfs.bin", out / "app.bin", out / "cfg.bin", out / "env.bin"]


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Path], Path]:
    tmp = tmp_path_factory.mktemp("device")
    return _synthetic_device(tmp), tmp


def test_synthetic_device_mounted_from_its_rcs(synthetic: tuple[list[Path], Path]) -> None:
    inputs, tmp = synthetic
    result = extract_device(inputs, tmp / "work1")
    parts = {p.input: p for p in result.partitions}
    assert parts["rootfs.bin"].mount_point == "/"
    assert parts["app.bin"].mount_point == "/mnt/app"
    assert parts["app.bin"].decided_by.startswith("/etc/init.d/rcS:2")
    assert "mtdparts names mtdblock3 'app'" in parts["app.bin"].decided_by
    assert parts["cfg.bin"].mount_point == "/mnt/cfg"
    assert parts["env.bin"].mount_point is None
    assert parts["env.bin"].format == "U-Boot environment"
    assert parts["env.bin"].boot_env["console"] == "ttyS0,115200"
    device = Path(result.roots[0].path)
    assert [r.label for r in result.roots] == ["rootfs"]
    assert (device / "mnt/app/start.sh").read_text().startswith("#!/bin/sh")
    assert (device / "mnt/cfg/settings.ini").is_file()
    assert os.readlink(device / "mnt/app/config") == "/mnt/cfg/settings.ini"  # kept as stored
    # the mount hides what the root had there, as on the device, and says so
    assert not (device / "mnt/app/hidden-by-mount").exists()
    assert any(e.stage == "mounts" and "hidden" in e.message for e in result.errors)
    modes = json.loads((device.parent / "device.modes.json").read_text())["entries"]
    assert "/mnt/app/start.sh" in modes and "/etc/inittab" in modes


def test_synthetic_device_explicit_mount_and_unplaced(synthetic: tuple[list[Path], Path]) -> None:
    inputs, tmp = synthetic
    result = extract_device(inputs[1:3], tmp / "work2", mount_options=("cfg.bin=/cfgdata",))
    parts = {p.input: p for p in result.partitions}
    assert parts["cfg.bin"].mount_point == "/cfgdata"
    assert parts["cfg.bin"].decided_by == "--mount option"
    # no root among the inputs: the app partition is analysed at /, not refused
    assert parts["app.bin"].mount_point == "/"
    device = Path(result.roots[0].path)
    assert (device / "start.sh").is_file() and (device / "cfgdata/settings.ini").is_file()


def test_mount_point_through_image_symlink_stays_inside(tmp_path: Path) -> None:
    root = tmp_path / "root"
    for name in ("etc/init.d", "bin", "sbin", "lib"):
        (root / name).mkdir(parents=True)
    (root / "etc/init.d/rcS").write_text("mount -t jffs2 /dev/mtdblock3 /data/cfg\n")
    (root / "data").symlink_to("/tmp/../../../" + str(tmp_path / "outside"))  # hostile
    cfg = tmp_path / "cfg"
    cfg.mkdir()
    (cfg / "a.ini").write_text("a=1\n")
    subprocess.run(["mksquashfs", str(root), str(tmp_path / "rootfs.bin"), "-quiet", "-all-root"],
                   check=True, capture_output=True)
    subprocess.run(["mkfs.jffs2", "-r", str(cfg), "-o", str(tmp_path / "cfg.bin"), "-l", "-p", "0x10000"],
                   check=True, capture_output=True)
    result = extract_device([tmp_path / "rootfs.bin", tmp_path / "cfg.bin"], tmp_path / "work",
                            mount_options=("cfg.bin=/data/cfg",))
    assert not (tmp_path / "outside").exists()
    device = Path(result.roots[0].path)
    # the link resolved inside the device tree, as the device would resolve it
    placed = [p for p in device.rglob("a.ini")]
    assert placed and all(device in p.parents for p in placed)


# ---- real partition dumps ---------------------------------------------------------------
def _unsquashfs_count(image: Path) -> int:
    """Entries listed by the reference tool, without the root directory itself."""
    out = subprocess.run(["unsquashfs", "-lls", "-d", "R", str(image)], check=True,
                         capture_output=True, text=True).stdout
    return sum(1 for line in out.splitlines() if " R/" in line)


@needs_corpus
def test_escam_partitions_mount_where_ground_truth_says(tmp_path: Path) -> None:
    folder = Path(str(CORPUS)) / "escam-g02-goke"
    names = ["rootfs.bin", "mtd.bin", "conf.bin", "kernel.bin", "bootenv.bin"]
    result = extract_device([folder / n for n in names], tmp_path / "work")
    parts = {p.input: p for p in result.partitions}
    # GROUND_TRUTH.md: rootfs at /, mtd.bin at /mnt/mtd/ipc, conf.bin at /mnt/mtd/ipc/conf (S90ipc:3-5)
    assert parts["rootfs.bin"].mount_point == "/"
    assert parts["mtd.bin"].mount_point == "/mnt/mtd/ipc"
    assert parts["mtd.bin"].decided_by.startswith("/etc/init.d/S90ipc:3")
    assert parts["conf.bin"].mount_point == "/mnt/mtd/ipc/conf"
    assert parts["conf.bin"].decided_by.startswith("/etc/init.d/S90ipc:4")
    assert parts["kernel.bin"].mount_point is None and parts["kernel.bin"].format.startswith("kernel (ARM zImage")
    assert parts["bootenv.bin"].boot_env["console"] == "ttySGK0,115200"  # consoledev=ttySGK0
    # entry counts against unsquashfs (the reference tool)
    assert parts["rootfs.bin"].entries == _unsquashfs_count(folder / "rootfs.bin")
    assert parts["mtd.bin"].entries == _unsquashfs_count(folder / "mtd.bin")
    device = Path(result.roots[0].path)
    for path in ("etc/inittab", "etc/init.d/S90ipc", "mnt/mtd/ipc/flash_upg.sh", "mnt/mtd/ipc/conf/run",
                 "mnt/mtd/ipc/conf/config_user.ini", "mnt/mtd/ipc/conf/hostapd8188.conf"):
        assert (device / path).is_file(), path
    # mtd/run is the link into conf.bin: dangling alone, whole on the device
    assert os.readlink(device / "mnt/mtd/ipc/run") == "/mnt/mtd/ipc/conf/run"
    # the zip-wrapped ipc_server of conf.bin is unpacked to an ELF
    unpacked = list((device / "mnt/mtd/ipc/conf").rglob("ipc_server_extract/ipc_server"))
    assert unpacked and unpacked[0].read_bytes()[:4] == b"\x7fELF"
    assert not [e for e in result.errors if e.stage == "roots"]


@needs_corpus
def test_holystone_app_partition_and_uboot_env(tmp_path: Path) -> None:
    folder = Path(str(CORPUS)) / "holystone-hs720-drone"
    inputs = [folder / "rootfs.bin", folder / "u-boot-env.bin"]
    result = extract_device(inputs, tmp_path / "auto")
    parts = {p.input: p for p in result.partitions}
    # GROUND_TRUTH.md 4: bootargs root=/dev/mtdblock4 rootfstype=jffs2, mtdparts 2432k(rootfs)
    assert parts["rootfs.bin"].mount_point == "/"
    assert "bootargs in u-boot-env.bin" in parts["rootfs.bin"].decided_by
    assert "mtdparts names mtdblock4 'rootfs'" in parts["rootfs.bin"].decided_by
    assert parts["u-boot-env.bin"].boot_env["console"] == "ttyS0,115200"
    assert parts["rootfs.bin"].entries == 8  # GROUND_TRUTH.md: 8 live entries
    placed = extract_device(inputs, tmp_path / "app", mount_options=("rootfs.bin=/app",))
    device = Path(placed.roots[0].path)
    assert (device / "app/rtl_hostapd_5G.conf").is_file()
    assert (device / "app/log_app").read_bytes()[:4] == b"\x7fELF"


@needs_corpus
def test_scan_cli_one_device_report(tmp_path: Path) -> None:
    """`iotbaseline scan DIR_OF_DUMPS`: one assessment, partitions in JSON and HTML, findings
    in a mounted partition cite it."""
    folder = Path(str(CORPUS)) / "holystone-hs720-drone"
    copy = tmp_path / "dumps"
    copy.mkdir()
    for name in ("rootfs.bin", "u-boot-env.bin", "GROUND_TRUTH.md"):
        shutil.copy(folder / name, copy / name)  # the notes file is skipped (text)
    out = tmp_path / "out"
    exe = Path(os.environ.get("VIRTUAL_ENV", ".venv")) / "bin" / "iotbaseline"
    exe = exe if exe.exists() else Path(__file__).resolve().parents[2] / ".venv/bin/iotbaseline"
    run = subprocess.run([str(exe), "scan", str(copy), "--mount", "rootfs=/app", "-o", str(out),
                          "--no-db", "--format", "json", "--format", "html", "--crack-seconds", "1"],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode in (0, 1), run.stderr[-2000:]
    assessment = json.loads((out / "assessment.json").read_text())
    parts = {p["input"]: p for p in assessment["extraction"]["partitions"]}
    assert set(parts) == {"rootfs.bin", "u-boot-env.bin"}
    assert parts["rootfs.bin"]["mount_point"] == "/app"
    assert assessment["target"]["kind"] == "partitions"
    html = (out / "report.html").read_text()
    assert 'id="partitions"' in html and "/app" in html and "--mount option" in html
    # GROUND_TRUTH.md 1: the open AP of rtl_hostapd_5G.conf; its finding cites the partition
    wifi = [f for f in assessment["findings"] if f["location"].get("path") == "/app/rtl_hostapd_5G.conf"]
    assert wifi, "the open access point in the app partition"
    provenance = wifi[0]["location"]["provenance"]
    assert provenance[0] == "rootfs.bin" and "mounted at /app (--mount option)" in provenance
    assert provenance[-1] == "rootfs.bin:/rtl_hostapd_5G.conf"
    for error in assessment["errors"]:
        assert "\n" not in error["message"] and "Traceback" not in error["message"]


def test_scan_cli_bad_mount_is_one_line(tmp_path: Path) -> None:
    a, b = tmp_path / "a.bin", tmp_path / "b.bin"
    a.write_bytes(b"\x00" * 64)
    b.write_bytes(b"\xff" * 64)
    exe = Path(__file__).resolve().parents[2] / ".venv/bin/iotbaseline"
    run = subprocess.run([str(exe), "scan", str(a), str(b), "--mount", "nosuch=/x", "-o",
                          str(tmp_path / "out"), "--no-db"], capture_output=True, text=True, timeout=120)
    assert run.returncode == 2
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "nosuch" in lines[0] and "a.bin" in lines[0]


# ---- errors are one line (part 6) -------------------------------------------------------
def test_crashing_stage_is_one_line_naming_the_part() -> None:
    from iotbaseline.pipeline import _Stages

    stages = _Stages(None)
    stages.part = "conf.bin"

    def crash() -> int:
        raise ValueError("inode table runs past the image\nsecond line")

    assert stages.run("inventory", crash, -1) == -1
    [error] = stages.errors
    assert error.stage == "inventory" and error.path == "conf.bin"
    assert error.message == "ValueError: inode table runs past the image"
