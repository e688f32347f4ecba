"""IOTB-RNG-001 on scripts written here and on programs compiled here with gcc; the imports the
check relies on are confirmed with readelf, not with our own ELF parser."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from checks_c_helpers import run, tree_context, where

from iotbaseline.checks.crypto import weak_random as rng_weak
from iotbaseline.model import OutcomeStatus

GCC = shutil.which("gcc")
PROVISIONS = {"xiaomi-2.0:5.2", "owasp-isvs:V2.4.3"}

GEN_SCRIPT = """#!/bin/sh
# make the first-boot credentials
ADMIN_PASSWORD=$RANDOM$RANDOM
SESSION_TOKEN=`date +%s | md5sum | cut -c1-16`
KEYFILE=/tmp/key-$(date +%s)
# WIFI_KEY=$RANDOM
WIFI_KEY=$(head -c 16 /dev/urandom | hexdump -e '16/1 "%02x"')
"""


def test_script_security_values_from_weak_sources(tmp_path: Path) -> None:
    ctx = tree_context(tmp_path, {"/etc/init.d/credentials": GEN_SCRIPT})
    outcome, findings = run(rng_weak.find_weak_randomness, ctx)
    assert outcome.status is OutcomeStatus.FAIL
    # lines 3 and 4; not the file name (5), the comment (6) or /dev/urandom (7)
    assert where(findings) == [("/etc/init.d/credentials", 3), ("/etc/init.d/credentials", 4)]
    assert all(set(f.provisions) == PROVISIONS for f in findings)


def test_script_strong_sources_pass(tmp_path: Path) -> None:
    ctx = tree_context(tmp_path, {"/etc/init.d/credentials": (
        "#!/bin/sh\nPASS=$(tr -dc A-Za-z0-9 </dev/urandom | head -c 16)\n"
        "LOGFILE=/var/log/boot-$(date +%F).log\n")})
    outcome, findings = run(rng_weak.find_weak_randomness, ctx)
    assert findings == [] and outcome.status is OutcomeStatus.PASS


CRYPTO_LIB = "int MD5_Init(void *c) { return c != 0; }\n"
PROGRAM = """#include <stdio.h>
#include <stdlib.h>
#include <time.h>
int MD5_Init(void *c);
int main(void) {
    char ctx[128];
#ifdef URANDOM
    FILE *f = fopen("/dev/urandom", "rb");
    if (f) fclose(f);
#endif
    srand((unsigned) time(NULL));
    printf("%d %d\\n", rand(), MD5_Init(ctx));
    return 0;
}
"""


def _build(tmp: Path, flags: list[str]) -> tuple[bytes, bytes]:
    if GCC is None:
        pytest.fail("gcc is needed for this test (system-packages.txt lists it)")
    (tmp / "lib.c").write_text(CRYPTO_LIB)
    (tmp / "main.c").write_text(PROGRAM)
    lib = tmp / "libfakecrypto.so"
    subprocess.run([GCC, "-shared", "-fPIC", "-o", str(lib), str(tmp / "lib.c")], check=True)
    exe = tmp / "token-daemon"
    subprocess.run([GCC, *flags, "-o", str(exe), str(tmp / "main.c"), f"-L{tmp}",
                    "-lfakecrypto"], check=True)
    undefined = subprocess.run(["readelf", "--dyn-syms", "-W", str(exe)], check=True,
                               capture_output=True, text=True).stdout
    rows = [line.split() for line in undefined.splitlines()]
    imported = {row[7].split("@")[0] for row in rows if len(row) >= 8 and row[6] == "UND"}
    assert {"srand", "rand", "time", "MD5_Init"} <= imported  # what the check keys on
    return exe.read_bytes(), lib.read_bytes()


@pytest.mark.parametrize("urandom", [False, True])
def test_program_with_time_seeded_rand_and_crypto(tmp_path: Path, urandom: bool) -> None:
    exe, lib = _build(tmp_path, ["-DURANDOM"] if urandom else [])
    ctx = tree_context(tmp_path / "t", {"/usr/bin/token-daemon": exe,
                                        "/usr/lib/libfakecrypto.so": lib})
    outcome, findings = run(rng_weak.find_weak_randomness, ctx)
    if urandom:  # it also reads the kernel's CSPRNG: no finding, but listed as examined
        assert findings == [] and outcome.status is OutcomeStatus.PASS
        assert any(e.ref == "/usr/bin/token-daemon" for e in outcome.evidence)
    else:
        assert where(findings) == [("/usr/bin/token-daemon", None)]
        assert findings[0].confidence == "low"
        assert "MD5_Init" in (findings[0].message or "")
