"""Secrets written to the console or the system log by the image's scripts: ``echo``/``printf``
of a password, key or token variable in boot scripts (their output goes to the serial console),
and ``logger`` calls carrying such a variable."""

from __future__ import annotations

import re

from iotbaseline.checks.base import CheckReport, CheckSpec, Hit, check
from iotbaseline.checks.context import CheckContext
from iotbaseline.checks.services.common import provisions
from iotbaseline.checks.textscan import TextFile, excerpt, is_comment, search, text_files
from iotbaseline.model import Evidence, Severity

_SECRET_VAR = (r"\$\{?(\w*(?:pass(?:wd|word|phrase)?|pwd|psk|secret|token|api_?key|"
               r"private_?key|priv_?key|wpa_?key|auth_?key)\w*)")
LOG_LINE = re.compile(rf"(?im)^[ \t]*(echo|printf|logger)\b([^\n]*?){_SECRET_VAR}([^\n]*)$")
# Where echo/printf output counts as logged: nowhere else than the console or a log.
_LOG_TARGET = re.compile(r">>?\s*(/dev/(?:console|kmsg|tty\w*)|\S*/log/\S*|\S+\.log)\b")
_ANY_REDIRECT = re.compile(r"(?:^|[^0-9&<])>>?\s*\S")
# Scripts whose stdout is not a console: CGI handlers answer the HTTP client; PHP and other
# templates render into the file or page they generate (issue 10, class 4).
_CGI = re.compile(r"(?i)(?:/cgi-bin/|/www/|/htdocs/|\.cgi$|\.(?:php|tpl|template|tmpl)$)")
_FUNCTION = re.compile(r"^[ \t]*(?:function[ \t]+)?([A-Za-z_]\w*)[ \t]*\(\)[ \t]*\{?[ \t]*$", re.MULTILINE)


def _captured_function(text: str, offset: int) -> str | None:
    """The shell function holding ``offset`` when its output is captured (``$(f …)``, a
    backquote, a pipe or a redirection), i.e. it builds a value or renders a file, not a console
    line; None otherwise."""
    name = None
    for m in _FUNCTION.finditer(text, 0, offset):
        name = m.group(1)
    if name is None:
        return None
    captured = re.compile(rf"\$\(\s*{name}\b|`\s*{name}\b|^[ \t]*{name}\b[^\n]*(?:\||>)",
                          re.MULTILINE)
    return name if captured.search(text) else None


def _logged(command: str, rest: str) -> str | None:
    """Where the line's output ends up if that is a console or a log, else None."""
    if command.lower() == "logger":
        return "the system log (logger)"
    if "|" in rest:  # piped into another program (chpasswd, openssl …): not printed
        return None
    target = _LOG_TARGET.search(rest)
    if target:
        return target.group(1)
    if _ANY_REDIRECT.search(rest):  # written to some other file
        return None
    return "standard output (the console, for boot scripts)"


def _scripts(ctx: CheckContext) -> list[TextFile]:
    return [tf for tf in text_files(ctx) if tf.entry.kind == "script" and not _CGI.search(tf.path)]


@check(CheckSpec(
    id="IOTB-LOG-001",
    title="Secrets printed to the console or written to logs",
    severity=Severity.MEDIUM,
    rationale="Boot and service scripts print to the serial console, which anyone with the "
              "board can read, and logs are collected and uploaded; a password, key or token "
              "printed there leaks to whoever reads them.",
    remedy="Never print or log secret values; log that a credential was set or changed, not "
           "its value, or mask it.",
    provisions=provisions(xiaomi=("1.1.4",), isvs=("V1.4.4",)),
    applies_to="rootfs",
    cwe=(532,),
    tags=("logging", "secrets"),
))
def find_secrets_in_logs(ctx: CheckContext) -> CheckReport:
    scripts = _scripts(ctx)
    if not scripts:
        return CheckReport(not_applicable="no shell scripts outside the web root")
    report = CheckReport()
    for m in search(ctx, LOG_LINE, files=scripts,
                    hints=("pass", "pwd", "psk", "secret", "token", "key")):
        if is_comment(m.line_text):
            continue
        command, before, variable, after = m.match.group(1, 2, 3, 4)
        where = _logged(command, before + after)
        if where is None or _captured_function(m.file.text, m.match.start()):
            continue
        report.hits.append(Hit(
            message=f"{m.file.path}:{m.line} prints ${variable} to {where}.",
            path=m.file.path, root=m.file.root, line=m.line, excerpt=excerpt(m.line_text),
            properties={"variable": variable, "destination": where}))
    report.examined.append(Evidence(
        kind="note", ref="script-logging",
        detail=f"{len(scripts)} shell scripts searched for echo/printf/logger of password, "
               "key or token variables"))
    report.summary = (f"{len(report.hits)} line(s) print secrets to the console or logs"
                      if report.hits else "no script prints a secret variable")
    return report


CHECKS = (find_secrets_in_logs,)
