"""U-Boot environment partitions: the variables a device boots with.

An environment partition is a CRC32 (4 bytes, either byte order) over the rest of the
partition, an optional flag byte (redundant environments), then ``name=value`` strings
separated by NUL and ended by an empty string. ``bootargs`` names the console and the root
device, ``mtdparts`` names the flash partitions: both help place partition dumps.

Written here because the format is a few lines and the packaged readers do not fit: Debian's
``fw_printenv`` (libubootenv-tool) needs a config file naming a device, and the PyPI ``uboot``
package is unmaintained since 2019.
"""

from __future__ import annotations

import re
import shlex
import zlib
from dataclasses import dataclass, field

MAX_ENV_BYTES = 1 << 20  # no real environment is larger; bigger inputs are not one
_NAME = re.compile(rb"^[A-Za-z0-9_.\-]{1,64}$")
_VAR = re.compile(r"\$\{([A-Za-z0-9_.\-]+)\}|\$\(([A-Za-z0-9_.\-]+)\)")
_SIZE = re.compile(r"^(\d+|0x[0-9a-fA-F]+)([kKmMgG]?)$")


@dataclass(frozen=True)
class MtdPart:
    """One entry of an ``mtdparts=`` list; ``index`` is its N in /dev/mtdblockN."""

    index: int
    name: str
    size: int | None  # None for "-" (the rest of the flash)
    offset: int | None


@dataclass(frozen=True)
class UBootEnv:
    variables: dict[str, str]
    crc_ok: bool
    redundant: bool  # a flag byte follows the CRC
    data_offset: int  # where the first variable starts
    bootargs: dict[str, str] = field(default_factory=dict)  # merged from every bootargs found
    mtdparts: tuple[MtdPart, ...] = ()

    def summary(self) -> dict[str, str]:
        """The variables that tell how the device boots (for reports)."""
        keep = ("bootargs", "bootcmd", "bootdelay", "console", "root", "rootfstype", "mtdparts",
                "init")
        out = {k: v for k, v in self.bootargs.items() if k in keep}
        for name in ("bootcmd", "bootdelay"):
            if name in self.variables:
                out[name] = self.variables[name]
        return out


def parse_uboot_env(data: bytes) -> UBootEnv | None:
    """The environment in ``data``, or None when it is not one (no CRC match and no
    plausible ``name=value`` list)."""
    if len(data) < 8 or len(data) > MAX_ENV_BYTES:
        return None
    for header in (4, 5):
        body = data[header:]
        crc_ok = any(
            int.from_bytes(data[:4], order) == zlib.crc32(body)
            for order in ("little", "big")
        )
        variables = _variables(body)
        if variables is None:
            continue
        if crc_ok or len(variables) >= 3:
            return _with_boot_facts(variables, crc_ok, header == 5, header)
    return None


def _variables(body: bytes) -> dict[str, str] | None:
    end = body.find(b"\0\0")
    if end <= 0:
        return None
    variables: dict[str, str] = {}
    for item in body[:end].split(b"\0"):
        name, sep, value = item.partition(b"=")
        if not sep or not _NAME.match(name):
            return None
        variables[name.decode("ascii")] = value.decode("latin-1")
    return variables or None


def expand(value: str, variables: dict[str, str], depth: int = 4) -> str:
    """``${name}`` replaced by its value, a few levels deep (values can name each other)."""
    for _ in range(depth):
        new = _VAR.sub(lambda m: variables.get(m[1] or m[2], ""), value)
        if new == value:
            break
        value = new
    return value


def parse_bootargs(text: str) -> dict[str, str]:
    """Kernel command line words as a dict (``rw`` → ``{"rw": ""}``); last one wins."""
    try:
        words = shlex.split(text, posix=True)
    except ValueError:
        words = text.split()
    args: dict[str, str] = {}
    for word in words:
        key, _, value = word.partition("=")
        if key and "=" not in key:
            args[key] = value
    return args


def parse_mtdparts(text: str) -> tuple[MtdPart, ...]:
    """``spi_flash:256k(boot),64k(env),-(rootfs)`` → partitions in /dev/mtdblockN order.
    Several devices (``;``) are numbered on after each other, as the kernel does."""
    parts: list[MtdPart] = []
    for device in text.split(";"):
        _, _, spec = device.partition(":")
        cursor: int | None = 0
        for item in spec.split(","):
            match = re.match(r"^\s*([^@(]+)(?:@([^(]+))?\(([^)]*)\)", item)
            if not match:
                continue
            size = _size(match[1].strip())
            offset = _size(match[2].strip()) if match[2] else cursor
            parts.append(MtdPart(index=len(parts), name=match[3], size=size, offset=offset))
            cursor = offset + size if offset is not None and size is not None else None
    return tuple(parts)


def _size(text: str) -> int | None:
    if text == "-":
        return None
    match = _SIZE.match(text)
    if not match:
        return None
    digits = match[1]
    if digits.lower().startswith("0x"):
        number = int(digits, 16)
    elif digits.startswith("0") and len(digits) > 1:
        # the kernel's memparse reads a leading 0 as octal ("096": not octal, taken as decimal
        # rather than crashing; found by fuzzing)
        number = int(digits, 8) if set(digits) <= set("01234567") else int(digits, 10)
    else:
        number = int(digits, 10)
    return number * {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30}[match[2].lower()]


def _with_boot_facts(variables: dict[str, str], crc_ok: bool, redundant: bool,
                     offset: int) -> UBootEnv:
    """Kernel arguments may sit in ``bootargs`` or be assembled by a boot script
    (``setenv bootargs console=${consoledev} ${rootfstype}``): read every value that sets
    ``root=``/``console=``/``mtdparts=``, after expanding the variables it uses."""
    bootargs: dict[str, str] = {}
    sources = [variables["bootargs"]] if "bootargs" in variables else []
    sources += [v for k, v in variables.items() if k != "bootargs" and "setenv bootargs" in v]
    for source in sources:
        text = expand(source, variables)
        text = text.split("setenv bootargs", 1)[-1].split(";", 1)[0]
        for key, value in parse_bootargs(text).items():
            bootargs.setdefault(key, value)
    mtdparts = parse_mtdparts(bootargs["mtdparts"]) if "mtdparts" in bootargs else ()
    if not mtdparts:
        for value in variables.values():
            found = re.search(r"mtdparts=(\S+)", expand(value, variables))
            if found:
                mtdparts = parse_mtdparts(found[1])
                break
    return UBootEnv(variables=variables, crc_ok=crc_ok, redundant=redundant, data_offset=offset,
                    bootargs=bootargs, mtdparts=mtdparts)
