"""Component identification on small hand-made roots: each case cve-bin-tool gets wrong, the
package-database readers, merging, kernel weighing and hostile input."""

from __future__ import annotations

import lzma
import struct
from pathlib import Path

import pytest

from iotbaseline.inventory.index import FileIndex
from iotbaseline.model import Component
from iotbaseline.sbom.identify import identify_components, runtime_components

ELF = b"\x7fELF\x01\x02\x01\x00" + b"\x00" * 8  # enough for the inventory to call it an ELF


def make_root(base: Path, files: dict[str, bytes | str]) -> Path:
    for rel, content in files.items():
        path = base / rel.lstrip("/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode() if isinstance(content, str) else content)
    return base


def identify(base: Path, files: dict[str, bytes | str], **kw: object) -> list[Component]:
    make_root(base, files)
    return identify_components(FileIndex.from_directory(base), **kw)  # type: ignore[arg-type]


def named(components: list[Component], name: str) -> list[Component]:
    return [c for c in components if c.name == name]


def test_busybox_two_part_versions(tmp_path: Path) -> None:
    comps = identify(tmp_path, {"/bin/busybox": ELF + b"\x00BusyBox v1.01 (2005.08.11-17:08+0000) multi-call binary\x00"})
    [bb] = named(comps, "busybox")
    assert bb.version == "1.01"
    assert bb.cpe == "cpe:2.3:a:busybox:busybox:1.01:*:*:*:*:*:*:*"
    assert bb.evidence[0].method == "signature:busybox" and bb.evidence[0].path == "/bin/busybox"


def test_dropbear_2017_form_without_banner(tmp_path: Path) -> None:
    # what DVAR's /usr/sbin/dropbear carries: the version alone between NULs, "SSH-2.0-dropbear"
    blob = (ELF + b"Dropbear SSH multi-purpose v%s\x00'scp' - secure copy\n\x002017.75\x00"
            b"Mem alloc error\x00SSH-2.0-dropbear\x00")
    [db] = named(identify(tmp_path, {"/usr/sbin/dropbear": blob}), "dropbear")
    assert db.version == "2017.75"
    assert db.cpe == "cpe:2.3:a:dropbear_ssh_project:dropbear_ssh:2017.75:*:*:*:*:*:*:*"


def test_bare_year_version_without_dropbear_marker_is_not_dropbear(tmp_path: Path) -> None:
    assert not named(identify(tmp_path, {"/usr/bin/other": ELF + b"\x002017.75\x00"}), "dropbear")


def test_miniupnpd_lower_case_server_string(tmp_path: Path) -> None:
    [m] = named(identify(tmp_path, {"/usr/sbin/miniupnpd": ELF + b"Linux/2.4 UPnP/1.0 miniupnpd/1.0\x00"}), "miniupnpd")
    assert m.version == "1.0"
    assert m.cpe == "cpe:2.3:a:miniupnp_project:miniupnpd:1.0:*:*:*:*:*:*:*"


def test_uclibc_and_kernel_24_from_old_modules(tmp_path: Path) -> None:
    comps = identify(tmp_path, {
        "/lib/libuClibc-0.9.28.so": ELF,
        "/lib/ld-uClibc-0.9.28.so": ELF,
        "/lib/modules/2.4.20/kernel/drivers/net/foo.o": ELF + b"\x00kernel_version=2.4.20\x00",
        "/lib/modules/2.4.20/kernel/drivers/net/bar.o": ELF + b"\x00kernel_version=2.4.20\x00",
    })
    [libc] = named(comps, "uclibc")
    assert libc.version == "0.9.28" and libc.cpe == "cpe:2.3:a:uclibc:uclibc:0.9.28:*:*:*:*:*:*:*"
    assert {e.path for e in libc.evidence} == {"/lib/libuClibc-0.9.28.so", "/lib/ld-uClibc-0.9.28.so"}
    [kernel] = named(comps, "linux-kernel")
    assert kernel.version == "2.4.20" and kernel.kind == "operating-system"
    assert kernel.cpe == "cpe:2.3:o:linux:linux_kernel:2.4.20:*:*:*:*:*:*:*"
    assert {e.method for e in kernel.evidence} == {"kernel-modules-dir", "kernel-module-kernel_version"}


def test_vendor_module_with_other_vermagic_is_a_note_not_a_second_kernel(tmp_path: Path) -> None:
    files: dict[str, bytes | str] = {
        f"/lib/modules/2.6.36/m{i}.ko": ELF + b"\x00vermagic=2.6.36 SMP mod_unload ARMv7 \x00" for i in range(3)
    }
    files["/lib/modules/2.6.36/extra/vendor_wifi.ko"] = ELF + b"\x00vermagic=2.6.22 mod_unload MIPS32_R2 \x00"
    kernels = named(identify(tmp_path, files), "linux-kernel")
    assert [k.version for k in kernels] == ["2.6.36"]
    assert any("2.6.22" in n and "vendor_wifi.ko" in n for n in kernels[0].notes)


def test_gcc_from_comment_is_a_build_tool_not_a_runtime_component(tmp_path: Path) -> None:
    comps = identify(tmp_path, {"/usr/bin/app": ELF + b"\x00GCC: (OpenWrt/Linaro GCC 4.6-2013.05 r49632) 4.6.4\x00"})
    [gcc] = named(comps, "gcc")
    assert gcc.kind == "build-tool" and gcc.cpe is None and gcc.version == "4.6.4"
    assert not named(runtime_components(comps), "gcc")


def test_package_db_and_binary_merge_and_confidence_rises(tmp_path: Path) -> None:
    status = "Package: busybox\nVersion: 1.19.4-6\nStatus: install user installed\nArchitecture: ar71xx\n\n"
    only_binary = identify(tmp_path / "a", {"/bin/busybox": ELF + b"BusyBox v1.19.4 (2014)\x00"})
    both = identify(tmp_path / "b", {"/bin/busybox": ELF + b"BusyBox v1.19.4 (2014)\x00",
                                     "/usr/lib/opkg/status": status})
    [one] = named(only_binary, "busybox")
    [merged] = named(both, "busybox")
    assert one.confidence == "medium" and merged.confidence == "high"
    assert {e.method for e in merged.evidence} == {"opkg-status", "signature:busybox"}
    assert merged.purl == "pkg:openwrt/busybox@1.19.4-6?arch=ar71xx"
    assert merged.version == "1.19.4"


def test_hostapd_snapshot_maps_to_release_and_wpad_is_both(tmp_path: Path) -> None:
    status = ("Package: wpad-mini\nVersion: 20131120-1\nStatus: install user installed\n\n"
              "Package: hostapd-mini\nVersion: 20131120-1\nStatus: install user installed\n\n")
    comps = identify(tmp_path, {"/usr/lib/opkg/status": status,
                                "/usr/sbin/wpad": ELF + b"\x00hostapd v2.1-devel\x00wpa_supplicant v2.1-devel\x00"})
    [hostapd] = named(comps, "hostapd")
    [wpa] = named(comps, "wpa_supplicant")
    # hostap released 2.0 on 2013-01-12 and 2.1 on 2014-02-04: a 2013-11-20 snapshot holds 2.0
    assert hostapd.version == "2.0" and wpa.version == "2.0"
    assert hostapd.cpe == "cpe:2.3:a:w1.fi:hostapd:2.0:*:*:*:*:*:*:*"
    assert {e.method for e in hostapd.evidence} == {"opkg-status", "signature:hostapd"}


def test_opkg_control_files_and_libc_flavour(tmp_path: Path) -> None:
    comps = identify(tmp_path, {
        "/usr/lib/opkg/info/libc.control": "Package: libc\nVersion: 0.9.33.2-1\n",
        "/usr/lib/opkg/info/libc.list": "/lib/libuClibc-0.9.33.2.so\n",
        "/usr/lib/opkg/info/dnsmasq.control": "Package: dnsmasq\nVersion: 2.66-2\nArchitecture: ar71xx\n",
    })
    [libc] = named(comps, "uclibc")
    assert libc.version == "0.9.33.2" and libc.evidence[0].method == "opkg-control"
    [dns] = named(comps, "dnsmasq")
    assert dns.version == "2.66" and dns.cpe == "cpe:2.3:a:thekelleys:dnsmasq:2.66:*:*:*:*:*:*:*"
    assert not named(comps, "libc")


def test_dpkg_status_and_os_release(tmp_path: Path) -> None:
    comps = identify(tmp_path, {
        "/var/lib/dpkg/status": ("Package: openssl\nStatus: install ok installed\nVersion: 1.1.1n-0+deb11u5\n\n"
                                 "Package: removed-thing\nStatus: deinstall ok config-files\nVersion: 1.0-1\n\n"),
        "/etc/os-release": 'ID=debian\nVERSION_ID="11"\nPRETTY_NAME="Debian GNU/Linux 11 (bullseye)"\n',
    })
    [ssl] = named(comps, "openssl")
    assert ssl.version == "1.1.1n" and ssl.purl == "pkg:deb/debian/openssl@1.1.1n-0%2Bdeb11u5"
    assert not named(comps, "removed-thing")
    [deb] = named(comps, "debian")
    assert deb.version == "11" and deb.cpe == "cpe:2.3:o:debian:debian_linux:11:*:*:*:*:*:*:*"


def _uimage(payload: bytes, name: bytes, comp: int) -> bytes:
    header = struct.pack(">IIIIIIIBBBB32s", 0x27051956, 0, 0, len(payload), 0x80000000, 0x80000000,
                         0, 5, 5, 2, comp, name)
    return header + payload


def test_kernel_banner_inside_lzma_uimage_blob(tmp_path: Path) -> None:
    banner = b"Linux version 3.3.8 (builder@host) (gcc version 4.6.3) #5 Thu Nov 20 2014\n"
    kernel = b"\x00" * 5000 + banner + b"\x00" * 5000
    blob = tmp_path / "kernel.bin"
    blob.write_bytes(b"VENDORHDR" * 20 + _uimage(lzma.compress(kernel, format=lzma.FORMAT_ALONE),
                                                  b"MIPS OpenWrt Linux-3.3.8", 3))
    comps = identify(tmp_path / "root", {"/etc/hostname": "x\n", "/lib/modules/3.3.8/a.ko":
                                         ELF + b"\x00vermagic=3.3.8 mod_unload MIPS32_R2 32BIT \x00"},
                     extra_blobs=[blob])
    [k] = named(comps, "linux-kernel")
    assert k.version == "3.3.8"
    methods = {e.method for e in k.evidence}
    assert {"kernel-banner", "kernel-uimage-name", "kernel-modules-dir", "kernel-vermagic"} <= methods
    banner_ev = next(e for e in k.evidence if e.method == "kernel-banner")
    assert banner_ev.match.startswith("Linux version 3.3.8 (")


def test_corrupt_compressed_kernel_is_not_fatal(tmp_path: Path) -> None:
    blob = tmp_path / "kernel.bin"
    blob.write_bytes(_uimage(b"\x5d\x00\x00\x80\x00" + b"\xff" * 4000, b"Linux-9.9.9", 3)
                     + b"\x1f\x8b\x08" + b"\x00" * 100)
    comps = identify(tmp_path / "root", {"/etc/hostname": "x\n"}, extra_blobs=[blob])
    [k] = named(comps, "linux-kernel")
    assert k.version == "9.9.9" and {e.method for e in k.evidence} == {"kernel-uimage-name"}


def test_symlink_out_of_root_is_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "host-secret"
    outside.write_bytes(ELF + b"BusyBox v9.9.9\x00")
    root = make_root(tmp_path / "root", {"/etc/hostname": "x\n"})
    (root / "bin").mkdir()
    (root / "bin" / "busybox").symlink_to(outside)
    comps = identify_components(FileIndex.from_directory(root))
    assert not named(comps, "busybox")


def test_one_component_per_name_and_version(tmp_path: Path) -> None:
    comps = identify(tmp_path, {"/bin/a": ELF + b"BusyBox v1.2.2\x00", "/bin/b": ELF + b"BusyBox v1.2.2\x00",
                                "/bin/c": ELF + b"BusyBox v1.3.0\x00"})
    assert sorted((c.name, c.version) for c in named(comps, "busybox")) == [("busybox", "1.2.2"), ("busybox", "1.3.0")]
    assert len({c.ref for c in comps}) == len(comps)


def test_gzip_kernel_and_decompression_bound(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import gzip

    from iotbaseline.sbom import kernel as kernel_mod

    banner = b"Linux version 4.14.180 (b@h) (gcc version 7.5.0) #0 SMP\n"
    blob = tmp_path / "zImage"
    blob.write_bytes(b"\x00" * 64 + gzip.compress(b"\x01" * 9000 + banner + b"\x02" * 9000))
    [k] = named(identify(tmp_path / "root", {"/etc/hostname": "x\n"}, extra_blobs=[blob]), "linux-kernel")
    assert k.version == "4.14.180"
    # a bomb: 40 MiB of zeros with no banner is cut at the bound instead of inflated whole
    monkeypatch.setattr(kernel_mod, "MAX_DECOMPRESSED", 2 * 1024 * 1024)
    bomb = gzip.compress(b"\x00" * (40 * 1024 * 1024))
    payloads = kernel_mod.kernel_payloads(bomb)
    assert payloads and all(len(p) <= 3 * 1024 * 1024 for _, p in payloads)


def test_buildroot_yocto_ipkg_and_android_sources(tmp_path: Path) -> None:
    comps = identify(tmp_path, {
        "/usr/share/legal-info/manifest.csv": ('"PACKAGE","VERSION","LICENSE"\n"busybox","1.31.1","GPL-2.0"\n'
                                               '"lighttpd","1.4.54","BSD-3-Clause"\n'),
        "/etc/image.manifest": "openssh armv7 7.9p1-r0\nzlib armv7 1.2.11-r0\n",
        "/usr/lib/ipkg/status": "Package: dnsmasq\nVersion: 2.45-1\nStatus: install ok installed\n\n",
        "/system/build.prop": "ro.build.version.release=9\nro.build.fingerprint=vendor/x/y:9/PQ1/1:user/release-keys\n",
    })
    assert [c.version for c in named(comps, "busybox")] == ["1.31.1"]
    assert named(comps, "busybox")[0].evidence[0].method == "buildroot-manifest"
    assert [c.version for c in named(comps, "lighttpd")] == ["1.4.54"]
    # Yocto "-r0" is a packaging revision
    assert [c.version for c in named(comps, "openssh")] == ["7.9p1"]
    assert [c.version for c in named(comps, "zlib")] == ["1.2.11"]
    [dns] = named(comps, "dnsmasq")
    assert dns.version == "2.45" and dns.evidence[0].method == "ipkg-status"
    [android] = named(comps, "android")
    assert android.version == "9" and android.cpe == "cpe:2.3:o:google:android:9:*:*:*:*:*:*:*"


def test_garbage_package_database_gives_no_components_and_no_crash(tmp_path: Path) -> None:
    comps = identify(tmp_path, {"/usr/lib/opkg/status": b"\xff\xfe\x00Package\n: :\n\n\x00\x00Version 1\n" * 50,
                                "/var/lib/dpkg/status": "Package: half\n\n"})
    assert comps == []


def test_banner_string_in_a_program_is_not_a_kernel(tmp_path: Path) -> None:
    comps = identify(tmp_path, {"/usr/bin/uname-helper": ELF + b"\x00Linux version 9.9.9 (fake@x) (gcc)\n\x00",
                                "/boot/vmlinux-4.4.0": ELF + b"\x00Linux version 4.4.0 (b@h) (gcc version 5) #1\n"})
    assert [c.version for c in named(comps, "linux-kernel")] == ["4.4.0"]
