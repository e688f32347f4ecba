"""Log-in attempts on the device's login surfaces (HTTP form, HTTP Basic/Digest, SSH, telnet,
FTP), each through its protocol library: httpx, paramiko, telnetlib3, ftplib. Only used by
the opt-in tests (``--try-default-credentials``, ``--test-lockout``); every attempt waits for
the session's rate slot and for the slower login pace."""

from __future__ import annotations

import asyncio
import ftplib
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from iotbaseline.probe.session import ProbeSession, RateLimiter
from iotbaseline.probe.target import ProbeError
from iotbaseline.probe.web import HttpAuth, LoginForm, Page, WebClient, has_password_field

BLOCK_WORDS = re.compile(r"(?i)too many|locked|lock-?out|try (again )?later|rate limit|"
                         r"temporarily (disabled|blocked)|captcha")
BLOCK_STATUS = frozenset({423, 429, 503})
SHELL_PROMPT = re.compile(r"(?m)([#$>%]\s*$|BusyBox built-in shell|~\s?#)")
TELNET_FAIL = re.compile(r"(?i)incorrect|failed|denied|invalid|bad password")


@dataclass(frozen=True)
class Attempt:
    accepted: bool
    blocked: bool  # the device refused to even judge: rate limit, lock, connection refused
    seconds: float
    detail: str = ""


class LoginSurface(Protocol):
    kind: str  # "http-form", "http-basic", "http-digest", "ssh", "telnet", "ftp"
    port: int
    label: str

    def attempt(self, user: str, password: str) -> Attempt: ...


@dataclass(frozen=True)
class Credentials:
    """``--credentials FILE``: candidate pairs plus, optionally, the working login."""

    candidates: tuple[tuple[str, str], ...] = ()
    correct: tuple[str, str] | None = None


def load_credentials(path: Path) -> Credentials:
    """Lines ``user:password`` (candidates to try) and ``correct user:password`` (the working
    login the lockout test checks afterwards); ``#`` starts a comment line."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ProbeError(f"cannot read credentials file {path}: {exc}") from exc
    candidates: list[tuple[str, str]] = []
    correct: tuple[str, str] | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip("\r\n")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        is_correct = line.startswith("correct ")
        if is_correct:
            line = line[len("correct "):]
        user, sep, password = line.partition(":")
        if not sep:
            raise ProbeError(f"{path}:{number}: expected user:password")
        if is_correct:
            correct = (user, password)
        else:
            candidates.append((user, password))
    return Credentials(tuple(candidates), correct)


def _limited(session: ProbeSession) -> RateLimiter:
    limiter = getattr(session, "_login_limiter", None)
    if limiter is None:
        limiter = RateLimiter(min(session.settings.lockout_rate, session.settings.rate))
        session._login_limiter = limiter  # type: ignore[attr-defined]
    return limiter


class HttpFormSurface:
    kind = "http-form"

    def __init__(self, session: ProbeSession, form: LoginForm) -> None:
        self.session = session
        self.form = form
        self.port = form.port
        self.label = f"HTTP form {form.action} on port {form.port}"
        self._baseline: Page | None = None

    def _post(self, user: str, password: str) -> tuple[Page, float]:
        data = dict(self.form.hidden)
        if self.form.user_field:
            data[self.form.user_field] = user
        data[self.form.password_field] = password
        _limited(self.session).wait_blocking()
        started = time.monotonic()
        with WebClient(self.session, self.port, self.form.tls) as client:
            if self.form.method == "get":
                page = client.get(self.form.action, params=data)
            else:
                page = client.request("POST", self.form.action, data=data)
        return page, time.monotonic() - started

    def attempt(self, user: str, password: str) -> Attempt:
        if self._baseline is None:
            self._baseline, _ = self._post(f"nobody{secrets.token_hex(3)}",
                                           secrets.token_hex(8))
        page, seconds = self._post(user, password)
        blocked = page.status in BLOCK_STATUS or bool(BLOCK_WORDS.search(page.text[:5000]))
        return Attempt(accepted=not blocked and form_accepted(page, self._baseline),
                       blocked=blocked, seconds=seconds, detail=f"HTTP {page.status}")


def form_accepted(page: Page, failure: Page) -> bool:
    """Whether a login response differs from the known failure the way a success does: a
    redirect away from the login page, or a page without the password field."""
    if page.redirect is not None:
        if failure.redirect == page.redirect:
            return False
        return "login" not in page.redirect.lower() or failure.redirect is None and \
            failure.status == 200
    if page.status == 200 and failure.status == 200:
        return has_password_field(failure) and not has_password_field(page)
    return False


class HttpAuthSurface:
    def __init__(self, session: ProbeSession, auth: HttpAuth) -> None:
        self.session = session
        self.auth = auth
        self.port = auth.port
        self.kind = f"http-{auth.scheme}"
        self.label = f"HTTP {auth.scheme.title()} auth on {auth.path} port {auth.port}"

    def attempt(self, user: str, password: str) -> Attempt:
        import httpx

        _limited(self.session).wait_blocking()
        credentials = (httpx.DigestAuth(user, password) if self.auth.scheme == "digest"
                       else httpx.BasicAuth(user, password))
        started = time.monotonic()
        with WebClient(self.session, self.port, self.auth.tls) as client:
            page = client.get(self.auth.path, auth=credentials)
        seconds = time.monotonic() - started
        blocked = page.status in BLOCK_STATUS
        return Attempt(accepted=200 <= page.status < 400 and not blocked, blocked=blocked,
                       seconds=seconds, detail=f"HTTP {page.status}")


class SshSurface:
    kind = "ssh"

    def __init__(self, session: ProbeSession, port: int) -> None:
        self.session = session
        self.port = port
        self.label = f"SSH on port {port}"

    def attempt(self, user: str, password: str) -> Attempt:
        import paramiko

        _limited(self.session).wait_blocking()
        started = time.monotonic()
        try:
            sock = self.session.connect_blocking(self.port)
        except OSError as exc:
            return Attempt(False, True, time.monotonic() - started, f"connect: {exc}")
        transport = paramiko.Transport(sock)
        try:
            transport.start_client(timeout=self.session.settings.timeout)
            transport.auth_password(user, password, fallback=False)
            return Attempt(transport.is_authenticated(), False, time.monotonic() - started,
                           "authenticated")
        except paramiko.BadAuthenticationType as exc:
            return Attempt(False, False, time.monotonic() - started,
                           f"password logins refused ({exc.allowed_types})")
        except paramiko.AuthenticationException:
            return Attempt(False, False, time.monotonic() - started, "rejected")
        except (paramiko.SSHException, OSError, EOFError) as exc:
            return Attempt(False, True, time.monotonic() - started, f"ssh: {exc}"[:200])
        finally:
            transport.close()


class FtpSurface:
    kind = "ftp"

    def __init__(self, session: ProbeSession, port: int) -> None:
        self.session = session
        self.port = port
        self.label = f"FTP on port {port}"

    def attempt(self, user: str, password: str) -> Attempt:
        _limited(self.session).wait_blocking()
        started = time.monotonic()
        ftp = ftplib.FTP()
        try:
            address = self.session.allow(self.port)
            ftp.connect(address, self.port, timeout=self.session.settings.timeout)
            ftp.login(user, password)
            return Attempt(True, False, time.monotonic() - started, "230 logged in")
        except ftplib.error_perm as exc:
            text = str(exc)
            return Attempt(False, text.startswith("421"), time.monotonic() - started, text[:200])
        except (ftplib.Error, OSError, EOFError) as exc:
            return Attempt(False, True, time.monotonic() - started, f"ftp: {exc}"[:200])
        finally:
            try:
                ftp.close()
            except OSError:
                pass


class TelnetSurface:
    kind = "telnet"

    def __init__(self, session: ProbeSession, port: int) -> None:
        self.session = session
        self.port = port
        self.label = f"telnet on port {port}"

    def attempt(self, user: str, password: str) -> Attempt:
        _limited(self.session).wait_blocking()
        started = time.monotonic()
        try:
            accepted, detail = asyncio.run(self._dialogue(user, password))
        except (TimeoutError, OSError, EOFError) as exc:
            return Attempt(False, True, time.monotonic() - started, f"telnet: {exc}"[:200])
        return Attempt(accepted, False, time.monotonic() - started, detail)

    async def _dialogue(self, user: str, password: str) -> tuple[bool, str]:
        import telnetlib3

        address = self.session.allow(self.port)
        timeout = self.session.settings.timeout
        reader, writer = await asyncio.wait_for(telnetlib3.open_connection(
            address, self.port, connect_minwait=0.05, connect_maxwait=0.5, encoding="utf8",
            shell=None), timeout)
        try:
            seen = await _read_until(reader, re.compile(r"(?i)(login|username)\s*:\s*$"),
                                     timeout)
            if seen is None:
                return False, "no login prompt"
            writer.write(user + "\r\n")  # type: ignore[arg-type]  # unicode writer
            if await _read_until(reader, re.compile(r"(?i)password\s*:\s*$"), timeout) is None:
                return False, "no password prompt"
            writer.write(password + "\r\n")  # type: ignore[arg-type]
            after = await _read_until(reader, re.compile(
                r"(?i)(login\s*:\s*$|incorrect|failed|denied|[#$>]\s*$)"), timeout) or ""
            if TELNET_FAIL.search(after) or re.search(r"(?i)login\s*:\s*$", after):
                return False, "rejected"
            return bool(SHELL_PROMPT.search(after)), after.strip()[-60:]
        finally:
            writer.close()


async def _read_until(reader: object, pattern: re.Pattern[str], timeout: float) -> str | None:
    text = ""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while len(text) < 8192:
        left = deadline - loop.time()
        if left <= 0:
            return None
        try:
            chunk = await asyncio.wait_for(reader.read(1024), left)  # type: ignore[attr-defined]
        except TimeoutError:
            return None
        if not chunk:
            return text if pattern.search(text) else None
        text += str(chunk)
        if pattern.search(text):
            return text
    return None
