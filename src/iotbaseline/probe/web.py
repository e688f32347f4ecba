"""HTTP(S) on the device with httpx: the admin UI over plain HTTP, HTTP→HTTPS redirects,
management pages reachable without a login, security headers, directory listings, and the
login surfaces (forms, Basic/Digest) that the opt-in credential tests use."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from functools import lru_cache
from html.parser import HTMLParser
from importlib import resources
from typing import Any
from urllib.parse import urljoin, urlsplit

import yaml

from iotbaseline.probe.identify import tls_context
from iotbaseline.probe.session import ProbeSession

BODY_LIMIT = 256 * 1024
LISTING_MARKERS = ("<title>index of /", "<h1>index of /", "directory listing for",
                   "[to parent directory]", "<title>directory listing")


@lru_cache(maxsize=1)
def http_paths() -> dict[str, list[str]]:
    text = resources.files("iotbaseline.probe").joinpath("data/http_paths.yaml").read_text()
    data = yaml.safe_load(text)
    return {"management": [str(p) for p in data["management"]],
            "listing": [str(p) for p in data["listing"]]}


@dataclass
class Page:
    path: str
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    @property
    def redirect(self) -> str | None:
        return self.headers.get("location") if 300 <= self.status < 400 else None


@dataclass
class LoginForm:
    port: int
    tls: bool
    page: str  # where the form was found
    action: str  # path to post to
    method: str
    user_field: str | None
    password_field: str
    hidden: dict[str, str] = field(default_factory=dict)


@dataclass
class HttpAuth:
    port: int
    tls: bool
    path: str
    scheme: str  # "basic" or "digest"
    realm: str = ""


class _FormParser(HTMLParser):
    """Collects forms and their inputs (device HTML is untrusted: only attributes are read)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[dict[str, Any]] = []
        self._current: dict[str, Any] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k.lower(): (v or "") for k, v in attrs}
        if tag == "form" and len(self.forms) < 20:
            self._current = {"action": a.get("action", ""), "method": a.get("method", "get"),
                             "inputs": []}
            self.forms.append(self._current)
        elif tag == "input":
            target = self._current
            if target is None:  # input outside a form: a script-driven login page
                target = {"action": "", "method": "post", "inputs": [], "implicit": True}
                self.forms.append(target)
                self._current = target
            if len(target["inputs"]) < 50:
                target["inputs"].append((a.get("type", "text").lower(), a.get("name", ""),
                                         a.get("value", "")))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._current = None


def find_login_form(page: Page, port: int, tls: bool) -> LoginForm | None:
    parser = _FormParser()
    try:
        parser.feed(page.text[:BODY_LIMIT])
    except Exception:  # noqa: BLE001 - broken HTML from a device
        return None
    for form in parser.forms:
        inputs = form["inputs"]
        passwords = [name for kind, name, _ in inputs if kind == "password" and name]
        if not passwords:
            continue
        users = [name for kind, name, _ in inputs if kind in ("text", "email", "") and name]
        hidden = {name: value for kind, name, value in inputs if kind == "hidden" and name}
        return LoginForm(port=port, tls=tls, page=page.path,
                         action=form["action"] or page.path,
                         method=str(form["method"]).lower() or "post",
                         user_field=users[0] if users else None,
                         password_field=passwords[0], hidden=hidden)
    return None


def has_password_field(page: Page) -> bool:
    return 'type="password"' in page.text.lower() or "type='password'" in page.text.lower() \
        or "type=password" in page.text.lower()


class WebClient:
    """One port of the device; every request waits for a rate slot and goes to the target."""

    def __init__(self, session: ProbeSession, port: int, tls: bool) -> None:
        import httpx

        self.session = session
        self.port = port
        self.tls = tls
        scheme = "https" if tls else "http"
        self.base = f"{scheme}://{session.url_host()}:{port}"
        self.client = httpx.Client(base_url=self.base, verify=tls_context() if tls else False,
                                   follow_redirects=False, timeout=session.settings.timeout,
                                   trust_env=False,  # never a proxy: the target only
                                   headers={"User-Agent": "iotbaseline-probe"})

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> WebClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def request(self, method: str, path: str, **kwargs: Any) -> Page:
        import httpx

        if not path.startswith("/"):
            raise ValueError(f"only paths on the target are requested, not {path!r}")
        self.session.allow(self.port, "https" if self.tls else "http")
        with self.client.stream(method, path, **kwargs) as response:
            body = b""
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) >= BODY_LIMIT:
                    break
            headers = {k.lower(): v[:1000] for k, v in response.headers.items()}
            if isinstance(response, httpx.Response):
                pass
            return Page(path=path, status=response.status_code, headers=headers,
                        body=body[:BODY_LIMIT])

    def get(self, path: str, **kwargs: Any) -> Page:
        return self.request("GET", path, **kwargs)

    def local_path(self, url: str, base: str = "/") -> str | None:
        """A device-supplied URL made into a path on this port, or None if it points
        elsewhere (other host or port: never followed)."""
        joined = urljoin(self.base + base, url)
        parts = urlsplit(joined)
        if not self.session.same_host(parts.hostname):
            return None
        if (parts.port or (443 if parts.scheme == "https" else 80)) != self.port:
            return None
        return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def auth_challenge(page: Page) -> tuple[str, str] | None:
    header = page.headers.get("www-authenticate", "")
    if page.status != 401 or not header:
        return None
    scheme = header.split(" ", 1)[0].lower()
    realm = ""
    if 'realm="' in header:
        realm = header.split('realm="', 1)[1].split('"', 1)[0][:100]
    return (scheme, realm) if scheme in ("basic", "digest") else None


def is_https_redirect(session: ProbeSession, location: str | None) -> bool:
    if not location:
        return False
    parts = urlsplit(location)
    return parts.scheme == "https" and session.same_host(parts.hostname)


def soft_404(client: WebClient) -> Page | None:
    try:
        return client.get(f"/iotbaseline-{secrets.token_hex(6)}")
    except Exception:  # noqa: BLE001
        return None


def looks_like_error_page(page: Page, baseline: Page | None) -> bool:
    if page.status != 200:
        return True
    if not page.body.strip():
        return True
    if baseline is not None and baseline.status == 200:
        a, b = len(page.body), len(baseline.body)
        if page.body == baseline.body or (max(a, b) and abs(a - b) / max(a, b) < 0.05):
            return True
    return False


def directory_listing(page: Page) -> bool:
    text = page.text[:20000].lower()
    return page.status == 200 and any(marker in text for marker in LISTING_MARKERS)
