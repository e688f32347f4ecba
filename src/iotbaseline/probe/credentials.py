"""The opt-in password tests: known default credentials (``--try-default-credentials``) and
brute-force resistance (``--test-lockout``) on every login surface the probe found."""

from __future__ import annotations

from collections.abc import Callable

from iotbaseline.checks.base import redact
from iotbaseline.model import Severity
from iotbaseline.probe import specs
from iotbaseline.probe.identify import ServiceInfo
from iotbaseline.probe.lockout import measure_lockout
from iotbaseline.probe.login import (
    FtpSurface,
    HttpAuthSurface,
    HttpFormSurface,
    LoginSurface,
    SshSurface,
    TelnetSurface,
)
from iotbaseline.probe.record import ProbeRecorder
from iotbaseline.probe.session import ProbeSession
from iotbaseline.probe.web import HttpAuth, LoginForm


def default_pairs() -> list[tuple[str, str]]:
    """The project's default-credential list, in file order (shared with the firmware password
    cracker: checks/data/default_credentials.yaml)."""
    from iotbaseline.checks.credentials.crack import default_credentials

    return list(dict.fromkeys((c.user, c.password) for c in default_credentials()
                              if c.user != "*"))


def login_surfaces(session: ProbeSession, services: list[ServiceInfo], forms: list[LoginForm],
                   auths: list[HttpAuth]) -> list[LoginSurface]:
    surfaces: list[LoginSurface] = []
    surfaces += [HttpFormSurface(session, form) for form in forms]
    surfaces += [HttpAuthSurface(session, auth) for auth in auths]
    for info in services:
        if info.service == "ssh":
            surfaces.append(SshSurface(session, info.port))
        elif info.service == "telnet":
            surfaces.append(TelnetSurface(session, info.port))
        elif info.service == "ftp":
            surfaces.append(FtpSurface(session, info.port))
    return surfaces


def pairs_for(surface: LoginSurface, extra: list[tuple[str, str]], limit: int
              ) -> list[tuple[str, str]]:
    """The user's pairs, then ``limit`` shipped pairs: web logins are mostly 'admin', shells
    mostly 'root', so those accounts come first (stable order otherwise)."""
    first = "admin" if surface.kind.startswith("http") else "root"
    shipped = sorted(default_pairs(), key=lambda p: p[0] != first)[:limit]
    return list(dict.fromkeys(extra + shipped))


def run_credential_tests(session: ProbeSession, rec: ProbeRecorder, services: list[ServiceInfo],
                         forms: list[LoginForm], auths: list[HttpAuth],
                         progress: Callable[[str], None]) -> None:
    settings = session.settings
    if not (settings.try_default_credentials or settings.test_lockout):
        rec.not_applicable(specs.LOGIN_DEFAULT, "not run: needs --try-default-credentials")
        rec.not_applicable(specs.LOCKOUT_NONE, "not run: needs --test-lockout")
        return
    surfaces = login_surfaces(session, services, forms, auths)
    if not surfaces:
        rec.not_applicable(specs.LOGIN_DEFAULT, "no login surface found on the device")
        rec.not_applicable(specs.LOCKOUT_NONE, "no login surface found on the device")
        return
    correct = settings.correct_login
    if settings.try_default_credentials:
        for surface in surfaces:
            progress(f"default credentials on {surface.label}")
            pairs = pairs_for(surface, list(settings.credentials), settings.max_default_attempts)
            _try_defaults(rec, surface, [p for p in pairs if p != correct])
    else:
        rec.not_applicable(specs.LOGIN_DEFAULT, "not run: needs --try-default-credentials")
    if settings.test_lockout:
        if correct is None:
            rec.not_applicable(specs.LOCKOUT_NONE, "--test-lockout needs the working login "
                               "('correct user:password' in --credentials)")
            rec.errors.append("--test-lockout skipped: no 'correct user:password' line in "
                              "--credentials")
            return
        for surface in surfaces:
            progress(f"lockout test on {surface.label}")
            _lockout(rec, surface, correct, settings.lockout_attempts)
    else:
        rec.not_applicable(specs.LOCKOUT_NONE, "not run: needs --test-lockout")


def _try_defaults(rec: ProbeRecorder, surface: LoginSurface,
                  pairs: list[tuple[str, str]]) -> None:
    tried = 0
    for user, password in pairs:
        attempt = surface.attempt(user, password)
        tried += 1
        if attempt.blocked:
            rec.examined(specs.LOGIN_DEFAULT, f"login/{surface.kind}/{surface.port}",
                         f"{surface.label}: blocked after {tried} attempt(s) ({attempt.detail})")
            return
        if attempt.accepted:
            rec.hit(specs.LOGIN_DEFAULT, f"{surface.label} accepts the default login "
                    f"{user}/{redact(password)}.", port=surface.port, protocol=surface.kind,
                    secret=password, redacted=redact(password),
                    observation=f"login/{surface.kind}/{surface.port}",
                    properties={"user": user, "surface": surface.label})
            return
    rec.observe(f"login/{surface.kind}/{surface.port}", "credentials",
                f"{surface.label}: none of {tried} default credential(s) accepted",
                port=surface.port, protocol=surface.kind, data={"tried": tried},
                specs=(specs.LOGIN_DEFAULT,))


def _lockout(rec: ProbeRecorder, surface: LoginSurface, correct: tuple[str, str],
             attempts: int) -> None:
    result = measure_lockout(surface, correct, attempts)
    ref = f"lockout/{surface.kind}/{surface.port}"
    if not result.correct_before:
        rec.errors.append(f"lockout test skipped on {surface.label}: the 'correct' login from "
                          f"--credentials is not accepted there ({result.correct_detail})")
        rec.not_applicable(specs.LOCKOUT_NONE, "the working login given is not accepted on "
                           "the login surfaces found")
        return
    how = []
    if result.blocked_after is not None:
        how.append(f"blocked at attempt {result.blocked_after}")
    if result.delayed:
        how.append("answers slowed down")
    if result.correct_accepted is False:
        how.append("the correct login was refused afterwards (locked)")
    rec.observe(ref, "lockout", f"{surface.label}: {len(result.attempts)} wrong login(s); "
                + ("; ".join(how) if how else "no delay, lock or rate limit")
                + f"; correct login afterwards "
                  f"{'accepted' if result.correct_accepted else 'refused'}",
                port=surface.port, protocol=surface.kind, data=result.as_dict(),
                specs=(specs.LOCKOUT_NONE,))
    if result.attempts and result.attempts[-1].accepted:
        rec.hit(specs.LOCKOUT_NONE, f"{surface.label} accepted a random wrong password.",
                port=surface.port, protocol=surface.kind, observation=ref,
                severity=Severity.CRITICAL)
    elif not result.protected:
        rec.hit(specs.LOCKOUT_NONE, f"{surface.label} took {len(result.attempts)} wrong "
                "logins in a row with no delay, lock or rate limit, and still accepted the "
                "correct login at once.", port=surface.port, protocol=surface.kind,
                observation=ref)
    else:
        rec.passed(specs.LOCKOUT_NONE, "; ".join(how))
