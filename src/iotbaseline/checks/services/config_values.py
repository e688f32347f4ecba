"""Values boot scripts read from the image's own configuration, and the conditions they decide.

ODM scripts gate services and build credentials from config files: ``dtenable=`grep tenable
$CONF/config_debug.ini | awk -F '"' '{print $2}'`; if [ $dtenable -eq 1 ]; then telnetd``, or
``image_sign=`cat /etc/config/image_sign`; telnetd -u Alphanetworks:$image_sign``. The boot
model keeps such a variable as ``$(NAME)`` (a run-time value). Here the assignment is found in
the script, the command is read (never run) and answered from the shipped file: ``cat``,
``grep | awk -F | cut -d``, ``uci get`` and literal assignments. A value kept elsewhere at run
time (``nvram get``, ``xmldbc -g /runtime/…``) stays unknown, and so does a condition on it.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

from iotbaseline.analysis.boot import Service
from iotbaseline.analysis.uci import load_uci
from iotbaseline.checks.context import CheckContext
from iotbaseline.model import FileEntry

MAX_DEPTH = 4
_ASSIGN = re.compile(r"^\s*(?:local\s+|export\s+|readonly\s+)?([A-Za-z_]\w*)=(.*)$")
_SUBST = re.compile(r"^[\"']?(?:`(.*)`|\$\((.*)\))[\"']?\s*(?:;.*)?$")
_VAR = re.compile(r"\$\{([A-Za-z_]\w*|\d)\}|\$([A-Za-z_]\w*|\d)|\$\(([A-Za-z_]\w*)\)")


@dataclass(frozen=True)
class ConfigValue:
    """A variable's value as the image ships it, and the evidence for it."""

    name: str
    value: str
    script: str  # the script that assigns it
    script_line: int
    source: str | None  # the config file read, None for a literal
    source_line: int | None
    how: str  # the assignment as written

    def describe(self) -> str:
        where = (f"{self.source}:{self.source_line}" if self.source_line else self.source)
        return (f"${self.name} is set at {self.script}:{self.script_line} (`{self.how[:90]}`)"
                + (f" from {where}, which holds {self.value!r}" if self.source else
                   f" to {self.value!r}"))


def _lines(ctx: CheckContext, path: str, root: str | None) -> list[str]:
    entry = ctx.index.resolve(path, root)
    if entry is None or entry.kind in ("directory", "special"):
        return []
    return (ctx.index.read_text(entry, limit=512 * 1024) or "").splitlines()


def _assignments(ctx: CheckContext, path: str, root: str | None, name: str) -> list[tuple[int, str]]:
    out = []
    for number, line in enumerate(_lines(ctx, path, root), start=1):
        m = _ASSIGN.match(line)
        if m and m.group(1) == name and not line.lstrip().startswith("#"):
            out.append((number, m.group(2).strip()))
    return out


def _unquote(value: str) -> str:
    value = value.split(" #", 1)[0].strip().rstrip(";").strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


class ValueReader:
    """Answers variables of one started service from its script and the files it reads."""

    def __init__(self, ctx: CheckContext, service: Service) -> None:
        self.ctx = ctx
        self.service = service
        self.root = service.root
        # the script holding the start first, then the scripts that led to it (globals)
        files = [service.source]
        for link in reversed(service.chain):
            path = link.removeprefix("source:").split("#", 1)[0]
            path = path.rsplit(":", 1)[0] if ":" in path else path  # function guard "file:f"
            if path.startswith("/"):
                files.append(path)
        self.files = list(dict.fromkeys(files))

    # ---- variables --------------------------------------------------------------------
    def variable(self, name: str, depth: int = 0) -> ConfigValue | None:
        if name == "1" and self.service.action:
            return ConfigValue(name, self.service.action, self.service.source,
                               self.service.line or 0, None, None, "action given by boot")
        if depth > MAX_DEPTH:
            return None
        for path in self.files:
            found = _assignments(self.ctx, path, self.root, name)
            if not found:
                continue
            line = self.service.line or 0
            above = [a for a in found if path == self.service.source and a[0] <= line]
            number, rhs = (above or found)[-1]
            return self._value(name, path, number, rhs, depth)
        return None

    def expand(self, text: str, depth: int = 0) -> tuple[str, list[ConfigValue]] | None:
        """``text`` with every variable replaced, or None when one is unknown."""
        used: list[ConfigValue] = []

        def repl(m: re.Match[str]) -> str:
            name = m.group(1) or m.group(2) or m.group(3)
            value = self.variable(name, depth + 1)
            if value is None:
                raise KeyError(name)
            used.append(value)
            return value.value

        try:
            return _VAR.sub(repl, text), used
        except KeyError:
            return None

    def _value(self, name: str, path: str, number: int, rhs: str,
               depth: int) -> ConfigValue | None:
        subst = _SUBST.match(rhs)
        if subst is None:
            if "`" in rhs or "$(" in rhs:
                return None
            expanded = self.expand(_unquote(rhs), depth)
            if expanded is None:
                return None
            return ConfigValue(name, expanded[0], path, number, None, None, f"{name}={rhs}")
        command = subst.group(1) or subst.group(2) or ""
        answer = self._command(command, depth)
        if answer is None:
            return None
        value, source, source_line = answer
        return ConfigValue(name, value, path, number, source, source_line, f"{name}={rhs}")

    # ---- commands ---------------------------------------------------------------------
    def _command(self, command: str, depth: int) -> tuple[str, str, int | None] | None:
        stages = [s.strip() for s in command.split("|")]
        try:
            first = shlex.split(stages[0])
        except ValueError:
            return None
        if not first:
            return None
        head = first[0].rsplit("/", 1)[-1]
        if head == "uci" and len(first) >= 3 and first[1] == "get":
            return self._uci(first[-1])
        args = [a for a in first[1:] if not a.startswith("-")]
        if head == "cat" and len(args) == 1:
            found = self._file_line(args[0], None, depth)
        elif head == "head" and len(args) == 1:
            found = self._file_line(args[0], None, depth)
        elif head == "grep" and len(args) == 2:
            found = self._file_line(args[1], args[0], depth)
        else:
            return None
        if found is None:
            return None
        value, source, line = found
        for stage in stages[1:]:
            shaped = _filter(stage, value)
            if shaped is None:
                return None
            value = shaped
        return value.strip(), source, line

    def _file_line(self, path_word: str, pattern: str | None,
                   depth: int) -> tuple[str, str, int | None] | None:
        expanded = self.expand(path_word, depth)
        if expanded is None or not expanded[0].startswith("/"):
            return None
        path = expanded[0]
        entry: FileEntry | None = self.ctx.index.resolve(path, self.root)
        if entry is None:
            entry = self.ctx.index.resolve(path, None)
        if entry is None or entry.kind in ("directory", "special"):
            return None
        lines = (self.ctx.index.read_text(entry, limit=256 * 1024) or "").splitlines()
        if pattern is None:
            return (lines[0] if lines else ""), path, 1
        pattern = self.expand(pattern, depth)[0] if self.expand(pattern, depth) else pattern
        for number, line in enumerate(lines, start=1):
            if pattern in line:
                return line, path, number
        return None

    def _uci(self, spec: str) -> tuple[str, str, int | None] | None:
        parts = spec.split(".")
        if len(parts) != 3:
            return None
        package = load_uci(self.ctx.index, parts[0], self.root)
        if package is None:
            return None
        section = (next(iter(package.of_type(parts[1][1:].split("[")[0])), None)
                   if parts[1].startswith("@") else package.named(parts[1]))
        value = section.get(parts[2]) if section else None
        if value is None or section is None:
            return None
        return value, package.path, section.lines.get(parts[2])


def _filter(stage: str, value: str) -> str | None:
    """One ``awk -F S '{print $N}'`` / ``cut -d S -f N`` / ``tr -d`` stage applied to a line."""
    try:
        words = shlex.split(stage)
    except ValueError:
        return None
    if not words:
        return None
    head = words[0].rsplit("/", 1)[-1]
    if head == "awk":
        sep: str | None = None
        program = ""
        i = 1
        while i < len(words):
            w = words[i]
            if w == "-F" and i + 1 < len(words):
                sep, i = words[i + 1], i + 2
                continue
            if w.startswith("-F"):
                sep = w[2:]
            else:
                program = w
            i += 1
        m = re.fullmatch(r"\s*\{\s*print\s+\$(\d+)\s*;?\s*\}\s*", program)
        if m is None:
            return None
        fields = value.split(sep) if sep else value.split()
        n = int(m.group(1))
        if n == 0:
            return value
        return fields[n - 1] if n <= len(fields) else ""
    if head == "cut":
        sep, field = "\t", None
        for i, w in enumerate(words[1:], start=1):
            if w.startswith("-d"):
                sep = w[2:] or (words[i + 1] if i + 1 < len(words) else sep)
            if w.startswith("-f"):
                field = w[2:] or (words[i + 1] if i + 1 < len(words) else None)
        if field is None or not field.isdigit():
            return None
        parts = value.split(sep)
        n = int(field)
        return parts[n - 1] if n <= len(parts) else ""
    if head == "tr" and len(words) == 3 and words[1] == "-d":
        return value.translate({ord(c): None for c in words[2]})
    return None


# ---- conditions ---------------------------------------------------------------------------

_TEST = re.compile(r"^(!\s*)?\[\s+(.*?)\s+\]$")


def _split_top(text: str, word: str) -> list[str]:
    """Split on `` and `` / `` && `` outside parentheses."""
    parts, depth, start, i = [], 0, 0, 0
    while i < len(text):
        c = text[i]
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif depth == 0 and text.startswith(word, i):
            parts.append(text[start:i])
            i += len(word)
            start = i
            continue
        i += 1
    parts.append(text[start:])
    return [p.strip() for p in parts if p.strip()]


class ConditionJudge:
    """Three-valued reading of the condition the boot model kept for a start."""

    def __init__(self, ctx: CheckContext, service: Service) -> None:
        self.reader = ValueReader(ctx, service)
        self.ctx = ctx
        self.service = service
        self.used: list[ConfigValue] = []

    def judge(self, text: str | None = None) -> bool | None:
        text = (self.service.condition if text is None else text) or ""
        if not text.strip():
            return True
        values = [self._and(p) for p in _split_top(text, " and ")]
        if False in values:
            return False
        return True if all(v is True for v in values) else None

    def _and(self, text: str) -> bool | None:
        text = text.strip()
        if text.startswith("not (") and text.endswith(")"):
            inner = self.judge(text[5:-1])
            return None if inner is None else not inner
        if "||" in text:
            values = [self._and(p) for p in _split_top(text, "||")]
            if True in values:
                return True
            return False if all(v is False for v in values) else None
        values = [self._test(p) for p in _split_top(text, "&&")]
        if False in values:
            return False
        return True if all(v is True for v in values) else None

    def _word(self, word: str) -> str | None:
        expanded = self.reader.expand(word)
        if expanded is None:
            return None
        self.used.extend(v for v in expanded[1] if v not in self.used)
        return expanded[0]

    def _test(self, text: str) -> bool | None:
        m = _TEST.match(text.strip().rstrip(";").strip())
        if m is None:
            return None
        try:
            words = shlex.split(m.group(2))
        except ValueError:
            return None
        negate = bool(m.group(1))
        if words and words[0] == "!":
            negate, words = not negate, words[1:]
        result: bool | None = None
        if len(words) == 3 and words[1] in ("=", "==", "!=", "-eq", "-ne", "-gt", "-lt", "-ge",
                                             "-le"):
            a, b = self._word(words[0]), self._word(words[2])
            if a is None or b is None:
                return None
            a, b = a.strip(), b.strip()
            op = words[1]
            if op in ("=", "==", "!="):
                result = (a == b) == (op != "!=")
            else:
                try:
                    x, y = int(a), int(b)
                except ValueError:
                    return None
                result = {"-eq": x == y, "-ne": x != y, "-gt": x > y, "-lt": x < y,
                          "-ge": x >= y, "-le": x <= y}[op]
        elif len(words) == 2 and words[0] in ("-n", "-z"):
            a = self._word(words[1])
            if a is None:
                return None
            result = bool(a.strip()) == (words[0] == "-n")
        elif len(words) == 2 and words[0] in ("-f", "-e", "-x", "-s"):
            path = self._word(words[1])
            if path is None or not path.startswith("/") or path.startswith(
                    ("/tmp/", "/var/", "/proc/", "/sys/", "/dev/", "/mnt/sd", "/media/")):
                return None
            result = self.ctx.index.resolve(path, self.service.root) is not None
        if result is None:
            return None
        return not result if negate else result
