"""How the image starts: the services its init system launches at boot (a shared fact).

Reads, never executes: inittab (BusyBox and SysV syntax), rcS and the scripts it calls,
OpenWrt ``/etc/rc.d/S*`` links and ``rc.common`` scripts (``service_start``, procd
``procd_set_param command``), SysV ``rcN.d``, systemd units enabled through ``*.wants`` links,
inetd/xinetd, Android ``init*.rc`` and ``rc.local``. Shell scripts are read by a small static
reader (``shlex`` tokens, functions, ``case`` on the action, ``for`` over globs, ``if``
conditions, sourcing) that follows calls to bounded depth and stops on cycles. A start that is
guarded by a shell condition keeps the condition's text so a check can judge it.

Checks call ``started_services(ctx)``; it is computed once per context.
"""

from __future__ import annotations

import fnmatch
import functools
import posixpath
import re
import shlex
from collections.abc import Iterable
from dataclasses import dataclass, field

from iotbaseline.checks.context import CheckContext
from iotbaseline.analysis.uci import TRUE_WORDS, UciPackage, UciSection, load_uci
from iotbaseline.inventory.index import FileIndex
from iotbaseline.model import FileEntry

MAX_DEPTH = 8  # script → script call depth
MAX_EXPANSIONS = 64  # words a glob or loop variable may expand to
MAX_SCRIPT_BYTES = 512 * 1024
# Removable or network storage: programs run from here are not part of the image.
EXTERNAL_PREFIXES = ("/mnt/", "/media/", "/sdcard", "/storage/", "/run/media/", "/tmp/usb",
                     "/tmp/mnt/", "/tmp/sd", "/usb", "/var/usb", "/data/usb", "/tmp/mounts/",
                     "/tmp/extroot", "/mnt")
RUNTIME_PREFIXES = ("/tmp/", "/var/", "/proc/", "/sys/", "/dev/", "/run/", "/overlay/")
PATH_DIRS = ("/bin", "/sbin", "/usr/bin", "/usr/sbin", "/usr/local/bin", "/usr/local/sbin",
             "/system/bin", "/system/xbin", "/vendor/bin")
SHELLS = frozenset({"sh", "ash", "bash", "dash", "hush", "msh", "zsh", "ksh", "mksh"})
STOP_ACTIONS = frozenset({"stop", "status", "reload", "force-reload", "shutdown", "disable",
                          "enable", "enabled", "condrestart", "try-restart", "K", "kill"})
_PREFIX_WORDS = frozenset({"if", "then", "else", "elif", "do", "while", "until", "!", "{", "}",
                           "time", "exec", "nohup", "setsid", "command", "builtin", "fi",
                           "done", "in", "cttyhack", "stdbuf", "ionice", "taskset"})
_SEPARATORS = frozenset({";", "&&", "||", "|", "&", "(", ")", ";;", "|&", ";&"})
_REDIRECTS = frozenset({">", ">>", "<", "<>", ">&", "<&", "&>", "&>>", ">|", "<<", "<<<"})
_VAR = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*|[0-9])(?:[:#%/][^}]*)?\}|([A-Za-z_][A-Za-z0-9_]*|[0-9]))")
_FUNC_DEF = re.compile(r"^\s*(?:function\s+)?([A-Za-z_][\w.-]*)\s*\(\s*\)\s*(\{|\()?\s*(.*)$")
_FUNC_DEF_KW = re.compile(r"^\s*function\s+([A-Za-z_][\w.-]*)\s*(\{)?\s*(.*)$")


@dataclass(frozen=True)
class Service:
    """One program the image starts (or could start: ``enabled`` False) during boot."""

    name: str  # program name, the BusyBox applet when started through busybox
    binary: str | None  # in-image path of the executable after symlinks, None if absent
    argv: tuple[str, ...]  # as written, variables expanded where the script sets them
    source: str  # file holding the start command
    line: int | None
    enabled: bool  # started at boot (False: present but not enabled)
    runs_as_root: bool
    via: str  # inittab, rc.d, init.d, procd, systemd, inetd, xinetd, android-init, rc.local, script
    user: str | None = None  # account it runs as, when the start switches user
    condition: str | None = None  # shell condition guarding the start, as written
    chain: tuple[str, ...] = ()  # files followed from the entry point to ``source``
    action: str | None = None  # inittab action (askfirst, respawn…) or init action (boot/start)
    tty: str | None = None  # inittab terminal or the terminal handed to getty
    root: str | None = None  # root filesystem label
    program: str | None = None  # argv[0] as resolved (path or name)
    launcher: str | None = None  # how it is kept running: inittab, procd, service_start,
    # start-stop-daemon, systemd, inetd, xinetd, android-init, background (&), None = a command

    @property
    def daemon(self) -> bool:
        """Started to keep running (by a launcher or in the background), not a one-off command."""
        return self.launcher is not None


@dataclass
class BootModel:
    """Services plus the files that describe the start (evidence for PASS verdicts)."""

    services: list[Service] = field(default_factory=list)
    files: list[str] = field(default_factory=list)  # entry files read (inittab, units, …)
    scripts: list[str] = field(default_factory=list)  # scripts followed
    init: str = "unknown"  # busybox, sysvinit, procd, systemd, android, unknown
    notes: list[str] = field(default_factory=list)


class DirectoryListing:
    """Entries by parent directory, so a glob with a literal directory looks at that directory
    only (FileIndex.glob matches every file of the image against the pattern)."""

    def __init__(self, index: FileIndex) -> None:
        self.index = index
        self.children: dict[tuple[str, str], list[FileEntry]] = {}
        for entry in index.iter():
            key = (entry.root, posixpath.dirname(entry.path))
            self.children.setdefault(key, []).append(entry)

    def glob(self, *patterns: str, root: str | None = None) -> list[FileEntry]:
        out: list[FileEntry] = []
        seen: set[tuple[str, str]] = set()
        roots = [root] if root is not None else [r.label for r in self.index.roots]
        for pattern in patterns:
            directory = posixpath.dirname(pattern)
            if any(ch in directory for ch in "*?["):
                candidates: list[FileEntry] = self.index.glob(pattern, root=root)
            else:
                candidates = [e for label in roots
                              for e in self.children.get((label, directory), ())
                              if fnmatch.fnmatchcase(e.path, pattern)]
            for entry in candidates:
                if (entry.root, entry.path) not in seen:
                    seen.add((entry.root, entry.path))
                    out.append(entry)
        return out


def reset_caches() -> None:
    """Forget memoised shell tokens (benchmarks measure a cold start)."""
    _cached_tokens.cache_clear()


def listing(ctx: CheckContext) -> DirectoryListing:
    return ctx.fact("index.listing", lambda c: DirectoryListing(c.index))  # type: ignore[no-any-return]


def started_services(ctx: CheckContext) -> list[Service]:
    """Services of every root filesystem, enabled or not (filter on ``enabled``)."""
    return boot_model(ctx).services


def boot_model(ctx: CheckContext) -> BootModel:
    return ctx.fact("boot.model",  # type: ignore[no-any-return]
                    lambda c: build_boot_model(c.index, listing(c)))


def build_boot_model(index: FileIndex, files: DirectoryListing | None = None) -> BootModel:
    model = BootModel()
    files = files or DirectoryListing(index)
    for root in index.roots:
        _RootReader(index, root.label, model, files).read()
    return model


# ------------------------------------------------------------------------------------------
# helpers shared with checks
# ------------------------------------------------------------------------------------------


def is_shell(program: str | None) -> bool:
    return bool(program) and posixpath.basename(program or "") in SHELLS


def uart_tty(tty: str | None) -> bool:
    """Serial terminals of SoCs (also devfs ``tts/N``); ``console`` is judged by the caller."""
    if not tty:
        return False
    name = tty.removeprefix("/dev/")
    return bool(re.match(r"^(ttyS|ttyAMA|ttyMSM|ttyHS|ttyATH|ttySAC|ttymxc|ttyO|ttyPS|ttyLP|"
                         r"ttyUL|ttyMT|ttyTHS|ttySC|ttyBCM|ttyFIQ|ttyGS|tts/)\d*", name))


def script_lines(index: FileIndex, entry: FileEntry) -> list[str]:
    text = index.read_text(entry, limit=MAX_SCRIPT_BYTES) or ""
    return text.splitlines()


# ------------------------------------------------------------------------------------------
# reading one root filesystem
# ------------------------------------------------------------------------------------------


@dataclass
class _Frame:
    """What a script run knows: variables, positional arguments, functions, condition, user."""

    vars: dict[str, list[str]]
    functions: dict[str, tuple[str, int, int]]  # name → (file, first body line idx, end idx)
    chain: tuple[str, ...]
    via: str
    enabled: bool
    condition: str | None = None
    user: str | None = None
    action: str | None = None


class _RootReader:
    def __init__(self, index: FileIndex, root: str, model: BootModel,
                 files: DirectoryListing) -> None:
        self.index = index
        self.files = files
        self.root = root
        self.model = model
        self.visited: set[tuple[str, str, bool]] = set()
        self.seen: set[tuple[str, int | None, tuple[str, ...], bool]] = set()
        self.lines_cache: dict[str, list[tuple[int, str]]] = {}
        self.procd: dict[str, list[str]] = {}
        self.uci: UciPackage | None = None
        self.functions_cache: dict[str, tuple[dict[str, tuple[str, int, int]], list[int]]] = {}

    # ---- entry points -----------------------------------------------------------------
    def read(self) -> None:
        self._detect_init()
        self._read_inittab()
        self._read_openwrt_rc_d()
        self._read_sysv_runlevels()
        self._read_systemd()
        self._read_android_init()
        self._read_rc_local_fallback()
        self._read_inetd()
        self._read_xinetd()
        self._read_disabled_init_scripts()

    def _entry(self, path: str) -> FileEntry | None:
        entry = self.index.resolve(path, self.root)
        return entry if entry is not None and entry.kind not in ("directory", "special") else None

    def _detect_init(self) -> None:
        init = self.index.get("/sbin/init", self.root)
        target = (init.link_target or "") if init else ""
        if self.index.get("/sbin/procd", self.root) or target.endswith("procd"):
            self.model.init = "procd"
        elif "systemd" in target:
            self.model.init = "systemd"
        elif target.endswith("busybox"):
            self.model.init = "busybox"
        elif self.index.get("/init.rc", self.root):
            self.model.init = "android"
        elif init is not None:
            self.model.init = "sysvinit"

    def _read_inittab(self) -> None:
        entry = self._entry("/etc/inittab")
        if entry is None:
            # the init kind is recorded once per image: the defaults apply only to a root that
            # has its own /sbin/init (not to a kernel or data partition read as a second root)
            if self.model.init == "busybox" and self.index.get("/sbin/init", self.root):
                # BusyBox init without inittab runs rcS and askfirst shells on the console.
                self.model.notes.append("no /etc/inittab: BusyBox defaults apply "
                                        "(rcS, then askfirst /bin/sh on the console)")
                self._run_command(["/etc/init.d/rcS"], "/sbin/init", None,
                                  self._frame("inittab", ("/sbin/init",)))
                self._emit(["/bin/sh"], "/sbin/init", None,
                           self._frame("inittab", ("/sbin/init",)), action="askfirst",
                           tty="console", launcher="inittab")
            return
        self.model.files.append(entry.path)
        default_level = None
        lines = self._lines(entry)
        for _, text in lines:
            parts = text.split(":", 3)
            if len(parts) == 4 and parts[2].strip() == "initdefault":
                default_level = parts[1].strip()
        for number, text in lines:
            parts = text.split(":", 3)
            if len(parts) != 4:
                continue
            ident, levels, action, process = (p.strip() for p in parts)
            if action in ("shutdown", "ctrlaltdel", "restart", "powerfail", "powerwait",
                          "powerfailnow", "powerokwait", "initdefault", "off", "kbrequest"):
                continue
            enabled = not levels or default_level is None or bool(
                set(levels) & set(default_level + "S"))
            frame = self._frame("inittab", (entry.path,), enabled=enabled)
            frame.action = action
            busybox_style = not levels and (ident == "" or "/" in ident or ident.startswith("tty")
                                            or ident == "console")
            tty = (ident or "console") if busybox_style else None
            words = _split_words(process)
            if not words:
                continue
            if words[0].startswith("-/"):  # BusyBox: a leading '-' runs it as a login shell
                words[0] = words[0][1:]
            self._dispatch(words, entry.path, number, frame, tty=tty, inittab_action=action,
                           launcher=None if action in ("sysinit", "wait", "once", "boot",
                                                       "bootwait") else "inittab")

    def _read_openwrt_rc_d(self) -> None:
        links = sorted((e for e in self.files.glob("/etc/rc.d/S*", root=self.root)
                       if re.match(r"^/etc/rc\.d/S\d+", e.path)), key=lambda e: e.path)
        if not links:
            return
        self.model.files.append("/etc/rc.d")
        for link in links:
            target = self._entry(link.path)
            if target is None:
                continue
            frame = self._frame("rc.d", (link.path,))
            self._run_script(target, ["boot"] if self._is_rc_common(target) else ["start"],
                             frame)

    def _read_sysv_runlevels(self) -> None:
        level = "2" if self.files.glob("/etc/rc2.d/S*", root=self.root) else "3"
        links = sorted(self.files.glob("/etc/rcS.d/S*", f"/etc/rc{level}.d/S*",
                                       f"/etc/rc.d/rc{level}.d/S*", root=self.root),
                       key=lambda e: e.path)
        for link in links:
            target = self._entry(link.path)
            if target is not None:
                self._run_script(target, ["start"], self._frame("rc.d", (link.path,)))

    def _read_rc_local_fallback(self) -> None:
        for path in ("/etc/rc.local", "/etc/rc.d/rc.local"):
            entry = self._entry(path)
            if entry is None or any((entry.path, a, True) in self.visited
                                    for a in ("", "start", "boot")):
                continue
            # Not reached through a call we could follow; most init systems still run it.
            self._run_script(entry, [], self._frame("rc.local", (entry.path,)))

    def _read_disabled_init_scripts(self) -> None:
        for entry in sorted(self.files.glob("/etc/init.d/*", root=self.root), key=lambda e: e.path):
            target = self._entry(entry.path)
            if target is None or target.kind in ("elf",):
                continue
            action = "boot" if self._is_rc_common(target) else "start"
            if any((target.path, a, True) in self.visited for a in ("boot", "start")):
                continue
            if posixpath.basename(entry.path) in ("rcS", "rcK", "rc", "rc.local", "functions",
                                                   "README", "skeleton"):
                continue
            self._run_script(target, [action], self._frame("init.d", (entry.path,), enabled=False))

    def _read_systemd(self) -> None:
        unit_dirs = ("/etc/systemd/system", "/lib/systemd/system", "/usr/lib/systemd/system")
        units: dict[str, FileEntry] = {}
        for d in reversed(unit_dirs):
            for e in self.files.glob(f"{d}/*.service", root=self.root):
                if e.kind != "directory":
                    units[posixpath.basename(e.path)] = e
        if not units:
            return
        wanted: dict[str, str] = {}
        for d in unit_dirs:
            for link in self.files.glob(f"{d}/*.wants/*", f"{d}/*.requires/*", root=self.root):
                wanted.setdefault(posixpath.basename(link.path), link.path)
        for name, unit in sorted(units.items()):
            real = self._entry(unit.path)
            if real is None:
                continue
            self.model.files.append(unit.path)
            template = re.sub(r"@[^.]*\.service$", "@.service", name)
            instance = name != template
            enabled_link = wanted.get(name)
            instances = [n for n in wanted if n.startswith(name.split("@")[0] + "@") and
                         n.endswith(".service")] if name.endswith("@.service") else []
            for inst in instances or [name]:
                self._systemd_unit(real, inst, wanted.get(inst) or enabled_link,
                                   instance_name=inst if (instances or instance) else None)

    def _systemd_unit(self, entry: FileEntry, name: str, link: str | None,
                      instance_name: str | None) -> None:
        user = None
        execs: list[tuple[int, str]] = []
        section = ""
        inst = ""
        if instance_name and "@" in instance_name:
            inst = instance_name.split("@", 1)[1].rsplit(".", 1)[0]
        for number, text in self._lines(entry):
            if text.startswith("["):
                section = text.strip("[] ")
                continue
            if section != "Service" or "=" not in text:
                continue
            key, _, value = text.partition("=")
            key, value = key.strip(), value.strip().replace("%i", inst).replace("%I", inst)
            if key == "User" and value:
                user = value
            elif key == "DynamicUser" and value.lower() in ("yes", "true", "1"):
                user = user or "dynamic"
            elif key in ("ExecStart", "ExecStartPre") and value:
                execs.append((number, value.lstrip("-@:+!")))
        frame = self._frame("systemd", (link, entry.path) if link else (entry.path,),
                            enabled=link is not None)
        frame.user = None if user in (None, "root", "0") else user
        for number, value in execs:
            words = _split_words(value)
            if words:
                self._dispatch(words, entry.path, number, frame, launcher="systemd",
                               tty=inst if inst.startswith("tty") else None)

    def _read_android_init(self) -> None:
        files = self.files.glob("/init.rc", "/init.*.rc", "/system/etc/init/*.rc",
                                "/vendor/etc/init/*.rc", "/etc/init/*.rc", root=self.root)
        for entry in sorted(files, key=lambda e: e.path):
            self.model.files.append(entry.path)
            current: tuple[int, list[str]] | None = None
            opts: dict[str, str] = {}
            for number, text in self._lines(entry):
                words = _split_words(text)
                if not words:
                    continue
                if words[0] in ("service", "on"):
                    self._android_service(entry.path, current, opts)
                    current = (number, words[2:]) if words[0] == "service" and len(words) >= 3 \
                        else None
                    opts = {}
                elif current is not None:
                    opts[words[0]] = " ".join(words[1:])
            self._android_service(entry.path, current, opts)

    def _android_service(self, path: str, current: tuple[int, list[str]] | None,
                         opts: dict[str, str]) -> None:
        """One ``service NAME PROGRAM ARGS`` block; ``disabled`` ones start only on demand."""
        if current is None:
            return
        number, words = current
        frame = self._frame("android-init", (path,), enabled="disabled" not in opts)
        user = opts.get("user")
        frame.user = None if user in (None, "root") else user
        self._emit(words, path, number, frame, launcher="android-init")

    def _read_inetd(self) -> None:
        entry = self._entry("/etc/inetd.conf")
        if entry is None:
            return
        self.model.files.append(entry.path)
        active = any(s.enabled and s.name in ("inetd", "xinetd") for s in self.model.services
                     if s.root == self.root)
        for number, text in self._lines(entry):
            fields = text.split()
            if len(fields) < 6:
                continue
            user = fields[4].split(".")[0].split(":")[0]
            frame = self._frame("inetd", (entry.path,), enabled=active)
            frame.user = None if user == "root" else user
            argv = fields[5:]
            if argv[0] == "internal":
                continue
            # inetd.conf gives the program path then its argv (argv[0] repeated)
            program, rest = argv[0], argv[2:] if len(argv) > 1 else []
            self._emit([program, *rest], entry.path, number, frame, launcher="inetd")

    def _read_xinetd(self) -> None:
        files = self.files.glob("/etc/xinetd.d/*", "/etc/xinetd.conf", root=self.root)
        active = any(s.enabled and s.name == "xinetd" for s in self.model.services
                     if s.root == self.root)
        for entry in sorted(files, key=lambda e: e.path):
            if entry.kind == "directory":
                continue
            block: dict[str, str] = {}
            start = 0
            for number, text in self._lines(entry):
                if text.startswith("service"):
                    block, start = {}, number
                elif text.startswith("}") and block.get("server"):
                    frame = self._frame("xinetd", (entry.path,),
                                        enabled=active and block.get("disable", "no") != "yes")
                    user = block.get("user", "root")
                    frame.user = None if user == "root" else user
                    self._emit([block["server"], *block.get("server_args", "").split()],
                               entry.path, start, frame, launcher="xinetd")
                    block = {}
                elif "=" in text:
                    key, _, value = text.partition("=")
                    block[key.strip().rstrip("+-")] = value.strip()

    # ---- scripts ------------------------------------------------------------------------
    def _frame(self, via: str, chain: tuple[str, ...], enabled: bool = True) -> _Frame:
        return _Frame(vars={}, functions={}, chain=chain, via=via, enabled=enabled)

    def _lines(self, entry: FileEntry) -> list[tuple[int, str]]:
        """Logical lines (continuations joined) with 1-based numbers; comments kept out."""
        cached = self.lines_cache.get(entry.path)
        if cached is not None:
            return cached
        out: list[tuple[int, str]] = []
        pending = ""
        start = 0
        heredoc: str | None = None
        for number, raw in enumerate(script_lines(self.index, entry), start=1):
            if heredoc is not None:
                if raw.strip() == heredoc:
                    heredoc = None
                continue
            stripped = raw.strip()
            if not pending and (not stripped or stripped.startswith("#")):
                continue
            if not pending:
                start = number
            if stripped.endswith("\\"):
                pending += stripped[:-1] + " "
                continue
            text = pending + stripped
            pending = ""
            marker = re.search(r"<<-?\s*['\"]?([A-Za-z_][A-Za-z0-9_]*)['\"]?", text)
            if marker:
                heredoc = marker.group(1)
            out.append((start, text))
        self.lines_cache[entry.path] = out
        return out

    def _is_rc_common(self, entry: FileEntry) -> bool:
        lines = self._lines(entry)
        raw = self.index.read_bytes(entry, limit=128) or b""
        return b"rc.common" in raw.split(b"\n", 1)[0] or any(
            "USE_PROCD=1" in t for _, t in lines[:40])

    def _run_script(self, entry: FileEntry, args: list[str], frame: _Frame) -> None:
        action = args[0] if args else ""
        key = (entry.path, action, frame.enabled)
        if key in self.visited or len(frame.chain) > MAX_DEPTH:
            return
        self.visited.add(key)
        if entry.path not in self.model.scripts:
            self.model.scripts.append(entry.path)
        chain = frame.chain if frame.chain and frame.chain[-1] == entry.path else (
            *frame.chain, entry.path)
        # conditions are kept within one script: the caller's guards are boilerplate
        # (``[ -x $i ]``) more often than meaning
        sub = _Frame(vars={str(i): [a] for i, a in enumerate(args, start=1)}, functions={},
                     chain=chain, via=_via_for(entry.path, frame.via), enabled=frame.enabled,
                     condition=None, user=frame.user, action=action or frame.action)
        sub.vars["0"] = [entry.path]
        lines = self._lines(entry)
        body = self._collect_functions(entry.path, lines, sub)
        if self._is_rc_common(entry):
            self._run_body(entry.path, lines, body, sub)  # globals (START=, PROG=…)
            self._call_rc_common(entry.path, action or "start", sub)
        else:
            self._run_body(entry.path, lines, body, sub)

    def _call_rc_common(self, path: str, action: str, frame: _Frame) -> None:
        order = {"boot": ["boot", "start"], "start": ["start"]}.get(action, [action])
        for name in order:
            if name in frame.functions:
                self._call_function(name, [], frame)
                return
        if "start_service" in frame.functions and action in ("boot", "start"):
            self._call_function("start_service", [], frame)

    def _collect_functions(self, path: str, lines: list[tuple[int, str]], frame: _Frame) -> list[int]:
        """Record function bodies as (lines key, first index, end index); return top-level lines."""
        cached = self.functions_cache.get(path)
        if cached is not None:
            frame.functions.update(cached[0])
            return cached[1]
        found: dict[str, tuple[str, int, int]] = {}
        top = self._scan_functions(path, lines, found)
        self.functions_cache[path] = (found, top)
        frame.functions.update(found)
        return top

    def _scan_functions(self, path: str, lines: list[tuple[int, str]],
                        functions: dict[str, tuple[str, int, int]]) -> list[int]:
        top: list[int] = []
        i = 0
        while i < len(lines):
            number, text = lines[i]
            match = _FUNC_DEF.match(text) or _FUNC_DEF_KW.match(text)
            if match is None or text.lstrip().startswith(("if ", "case ", "[", "test ")):
                top.append(i)
                i += 1
                continue
            name, rest = match.group(1), match.group(3)
            depth = _brace_delta(text)
            if "{" in text and depth <= 0:  # one-line function: f() { cmd; }
                key = f"{path}#{name}@{i}"
                body = rest.rstrip().removesuffix("}").rstrip().rstrip(";")
                self.lines_cache[key] = [(number, body)]
                functions[name] = (key, 0, 1)
                i += 1
                continue
            j = i + 1
            if depth == 0 and j < len(lines) and lines[j][1].startswith("{"):
                depth = _brace_delta(lines[j][1])
                j += 1
            first = j
            while depth > 0 and j < len(lines):
                depth += _brace_delta(lines[j][1])
                j += 1
            functions[name] = (path, first, max(first, j - 1))
            i = j
        return top

    def _call_function(self, name: str, args: list[str], frame: _Frame) -> None:
        key, first, end = frame.functions[name]
        guard = f"{key}:{name}"
        if guard in frame.chain or len(frame.chain) > MAX_DEPTH * 4:
            return
        sub = _Frame(vars=dict(frame.vars), functions=frame.functions,
                     chain=(*frame.chain, guard), via=frame.via, enabled=frame.enabled,
                     condition=frame.condition, user=frame.user, action=frame.action)
        for i, a in enumerate(args, start=1):
            sub.vars[str(i)] = [a]
        lines = self.lines_cache.get(key) or []
        path = key.split("#", 1)[0]
        self._run_body(path, lines, range(first, min(end, len(lines))), sub)
        # variables set in a function are visible to the caller (no `local` tracking needed)
        for k, value in sub.vars.items():
            if not k.isdigit():
                frame.vars[k] = value

    def _run_body(self, path: str, lines: list[tuple[int, str]], indexes: Iterable[int],
                  frame: _Frame) -> None:
        conditions: list[str | None] = []
        case_stack: list[tuple[list[str] | None, bool]] = []  # (known value, branch active)
        # per open `if`: (state of the current branch: True/False known, None unknown;
        # an earlier branch known taken). A branch known False is dead code (issue 10, class 4:
        # the else of `[ -f /usr/sbin/login ]` when that file is in the image never runs).
        branches: list[tuple[bool | None, bool]] = []
        for i in indexes:
            number, text = lines[i]
            words = _tokens(text)
            if not words:
                continue
            head = words[0]
            if head == "case" and len(words) >= 3:
                case_values = self._expand(words[1], frame)
                known = case_values if len(case_values) == 1 and "$" not in case_values[0] \
                    else None
                case_stack.append((known, True))
                continue
            if head == "esac" and case_stack:
                case_stack.pop()
                continue
            if case_stack and ")" in words and _looks_like_case_pattern(text):
                known, _ = case_stack[-1]
                patterns = [p.strip().strip("'\"") for p in
                            text.split(")", 1)[0].strip().lstrip("(").split("|")]
                if known is not None:
                    active = any(fnmatch.fnmatchcase(known[0], p) for p in patterns)
                else:
                    active = not all(p in STOP_ACTIONS for p in patterns)
                case_stack[-1] = (known, active)
                text = text.split(")", 1)[1]
                words = _tokens(text)
                if not words:
                    continue
                head = words[0]
            if case_stack and not case_stack[-1][1]:
                continue
            one_line = head in ("if", "elif") and "fi" in words
            if head == "if":
                conditions.append(_condition_text(text))
                if not one_line:
                    value = self._eval_condition(words[1:], frame)
                    branches.append((value, value is True))
            elif head == "elif" and conditions:
                conditions[-1] = _condition_text(text)
                if branches:
                    state, taken = branches[-1]
                    value = False if taken else self._eval_condition(words[1:], frame)
                    branches[-1] = (value, taken or value is True)
            elif head == "else" and conditions:
                last = conditions[-1]
                conditions[-1] = f"not ({last})" if last else None
                if branches:
                    state, taken = branches[-1]
                    branches[-1] = (False if taken else (True if state is False else None), taken)
            if any(state is False for state, _ in branches) and head not in ("if", "elif", "else"):
                if head == "fi" or words.count("fi"):
                    for _ in range(words.count("fi")):
                        if conditions:
                            conditions.pop()
                        if branches:
                            branches.pop()
                continue  # a dead branch: nothing here runs
            cond = " and ".join(c for c in conditions if c) or None
            if head == "for" and len(words) >= 3 and words[2] == "in":
                values: list[str] = []
                for w in words[3:]:
                    if w in (";", "do"):
                        break
                    values.extend(self._expand(w, frame, glob=True))
                frame.vars[words[1]] = values[:MAX_EXPANSIONS]
            elif head not in ("if", "elif"):
                self._run_words(words, path, number, frame, cond)
                substituted = _SUBST_ASSIGN.match(text)
                if substituted:  # X=`cmd` / X=$(cmd): a run-time value, unknown statically
                    frame.vars[substituted.group(1)] = [f"$({substituted.group(1)})"]
            else:
                # the condition's own commands run too (functions it calls may start things)
                self._run_words(words, path, number, frame, None)
            for _ in range(words.count("fi")):
                if conditions:
                    conditions.pop()
                if branches and not one_line:
                    branches.pop()

    def _eval_condition(self, words: list[str], frame: _Frame) -> bool | None:
        """Value of an `if` condition made of tests joined by && / ||, when every test is known."""
        cut = len(words)
        for i, w in enumerate(words):
            if w in (";", "then"):
                cut = i
                break
        parts: list[list[str]] = [[]]
        ops: list[str] = []
        for w in words[:cut]:
            if w in ("&&", "||"):
                ops.append(w)
                parts.append([])
            else:
                parts[-1].append(w)
        values = [self._eval_test(p, frame) for p in parts]
        if not ops:
            return values[0]
        if all(op == "&&" for op in ops):
            return False if False in values else (True if all(v is True for v in values) else None)
        if all(op == "||" for op in ops):
            return True if True in values else (False if all(v is False for v in values) else None)
        return None

    def _run_words(self, words: list[str], path: str, line: int, frame: _Frame,
                   cond: str | None) -> None:
        """Run the commands of one line; ``A && B`` makes A the condition of B."""
        outer = frame.condition
        previous: list[str] | None = None
        skip_rest = False
        for command, terminator in _split_commands(words):
            local = cond
            if command and command[0] in ("&&", "||"):
                if previous and not skip_rest:
                    known = self._eval_test(previous, frame)
                    if known is not None and known != (command[0] == "&&"):
                        previous = command[1:]
                        skip_rest = True
                        continue
                if previous:
                    text = " ".join(previous)
                    local = " and ".join(c for c in (cond, text if command[0] == "&&"
                                                     else f"not ({text})") if c)
                command = command[1:]
            if command and command[0] in ("then", "do", "else"):
                command = command[1:]
            if not command:
                continue
            frame.condition = " and ".join(c for c in (outer, local) if c) or None
            self._run_command(command, path, line, frame, background=terminator == "&")
            frame.condition = outer
            previous = command
            skip_rest = False

    def _run_command(self, words: list[str], path: str, line: int | None, frame: _Frame,
                     background: bool = False) -> None:
        words = _strip_redirects(words)
        while words and words[0] in _PREFIX_WORDS:
            words = words[1:]
        if not words:
            return
        if words[0] in ("[", "[[", "test", "echo", "printf", "return", "exit", "shift", "true",
                        "false", ":", "break", "continue", "wait", "trap", "set", "unset",
                        "cd", "umask", "ulimit", "read", "let", "mkdir", "rm", "ln", "cp", "mv",
                        "chmod", "chown", "touch", "cat", "grep", "sed", "awk", "sleep", "kill",
                        "killall", "mount", "umount", "logger", "ifconfig", "ip", "insmod",
                        "modprobe", "rmmod", "sysctl", "uci", "include", "lock",
                        "procd_open_instance", "procd_add_jail", "procd_open_trigger",
                        "procd_close_trigger", "procd_add_reload_trigger", "case", "esac"):
            return
        # assignments: X=v, local X=v, export X=v, readonly X=v
        if words[0] in ("local", "export", "readonly", "declare", "typeset"):
            for w in words[1:]:
                if "=" in w:
                    k, _, v = w.partition("=")
                    frame.vars[k] = self._expand(v, frame) or [""]
            return
        if self._uci_command(words, frame):
            return
        env_user = None
        while words and re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", words[0]):
            k, _, v = words[0].partition("=")
            if len(words) == 1:
                frame.vars[k] = self._expand(v, frame, glob=False) or [""]
                return
            words = words[1:]
        if words[0] in (".", "source") and len(words) >= 2:
            for target in self._expand(words[1], frame):
                entry = self._entry(target)
                if entry is not None and not self._is_library(entry.path):
                    self._source(entry, frame)
                elif entry is not None and entry.path.startswith("/lib/network/"):
                    # vendors add their own helpers there (NETGEAR's RtDebug.sh starts the
                    # telnet enabler): learn its functions for the calls that follow
                    self._collect_functions(entry.path, self._lines(entry), frame)
            return
        # procd instances (OpenWrt ≥ 14.07)
        if words[0] in ("procd_set_param", "procd_append_param") and len(words) >= 2:
            key = words[1]
            values = [v for w in words[2:] for v in self._expand(w, frame)]
            if key == "command":
                if words[0] == "procd_set_param":
                    self.procd["command"] = values
                    self.procd["_line"] = [str(line)]
                else:
                    self.procd.setdefault("command", []).extend(values)
            elif key == "user" and values:
                self.procd["user"] = values
            return
        if words[0] == "procd_close_instance":
            command = self.procd.get("command")
            if command:
                saved = frame.user
                users = self.procd.get("user") or []
                user = users[0] if users else None
                if user and user != "root":
                    frame.user = user
                via = frame.via
                frame.via = "procd" if via in ("rc.d", "init.d") else via
                number = int(self.procd.get("_line", [str(line)])[0])
                self._dispatch(command, path, number, frame, launcher="procd")
                frame.via, frame.user = via, saved
            self.procd = {}
            return
        expanded: list[list[str]] = [[]]
        for w in words:
            options = self._expand(w, frame)
            if len(options) <= 1:
                for e in expanded:
                    e.append(options[0] if options else w)
            elif not expanded[0] and len(expanded) == 1:
                expanded = [[o] for o in options[:MAX_EXPANSIONS]]
            else:
                for e in expanded:
                    e.append(" ".join(options))
        for argv in expanded:
            argv = [a for a in argv if a != ""]
            if argv:
                name = argv[0]
                if name in frame.functions:
                    self._call_function(name, argv[1:], frame)
                else:
                    self._dispatch(argv, path, line, frame, user=env_user,
                                   launcher="background" if background else None)

    def _uci_command(self, words: list[str], frame: _Frame) -> bool:
        """OpenWrt's config helpers, answered from /etc/config so scripts see real values."""
        head = words[0]
        args = [self._expand(w, frame)[0] if self._expand(w, frame) else w for w in words[1:]]
        if head == "config_load" and args:
            self.uci = load_uci(self.index, args[0], self.root)
            return True
        if head == "config_foreach" and args:
            func, type_ = args[0], (args[1] if len(args) > 1 else None)
            if func in frame.functions and self.uci is not None:
                for each in self.uci.sections:
                    if type_ is None or each.type == type_:
                        self._call_function(func, [each.name or f"@{each.type}"], frame)
            return True
        if head in ("config_get", "config_get_bool") and len(args) >= 3:
            var, section_name, option = args[0], args[1], args[2]
            default = args[3] if len(args) > 3 else ""
            value = None
            section: UciSection | None = None
            if self.uci is not None:
                section = self._uci_section(section_name)
                value = section.get(option) if section else None
            if head == "config_get_bool":
                value = "1" if (value or default).strip().lower() in TRUE_WORDS else "0"
            frame.vars[var] = [value if value is not None else default]
            return True
        if head == "uci_validate_section" and len(args) >= 3:
            package = load_uci(self.index, args[0], self.root)
            section = None
            if package is not None:
                section = (package.named(args[2]) if args[2] and not args[2].startswith("$")
                           else None) or next(iter(package.of_type(args[1])), None)
            for spec in args[3:]:
                parts = spec.split(":")
                name = parts[0]
                kind = parts[1] if len(parts) > 1 else ""
                default = parts[-1] if len(parts) > 2 else ""
                value = section.get(name) if section else None
                value = default if value is None else value
                if kind == "bool":
                    value = "1" if value.strip().lower() in TRUE_WORDS else "0"
                frame.vars[name] = [value]
            return True
        if head == "append" and len(args) >= 2:
            old = (frame.vars.get(args[0]) or [""])[0]
            frame.vars[args[0]] = [f"{old} {args[1]}".strip()]
            return True
        return head in ("config_get_section", "config_set", "uci_get", "config_cb")

    def _uci_section(self, name: str) -> UciSection | None:
        if self.uci is None:
            return None
        if name.startswith("@"):
            return next(iter(self.uci.of_type(name[1:])), None)
        return self.uci.named(name)

    def _eval_test(self, words: list[str], frame: _Frame) -> bool | None:
        """Value of ``[ a OP b ]`` / ``test`` when every word is known, else None."""
        negate = False
        if words and words[0] == "!":
            negate, words = True, words[1:]
        if not words or words[0] not in ("[", "test", "[["):
            return None
        inner = [w for w in words[1:] if w not in ("]", "]]")]
        values: list[str] = []
        for w in inner:
            expanded = self._expand(w, frame)
            if len(expanded) != 1 or "$" in expanded[0]:
                return None
            values.append(expanded[0])
        result: bool | None = None
        if len(values) == 3 and values[1] in ("=", "==", "!="):
            result = (values[0] == values[2]) == (values[1] != "!=")
        elif len(values) == 3 and values[1] in ("-eq", "-ne", "-gt", "-lt", "-ge", "-le"):
            try:
                a, b = int(values[0]), int(values[2])
            except ValueError:
                return None
            result = {"-eq": a == b, "-ne": a != b, "-gt": a > b, "-lt": a < b,
                      "-ge": a >= b, "-le": a <= b}[values[1]]
        elif len(values) == 2 and values[0] in ("-n", "-z"):
            result = bool(values[1]) == (values[0] == "-n")
        elif len(values) == 2 and values[0] in ("-f", "-e", "-s", "-x", "-d", "-r"):
            if (not values[1].startswith("/") and values[1]) or values[1].startswith(
                    RUNTIME_PREFIXES + EXTERNAL_PREFIXES):
                return None  # created at run time or on removable media: unknown statically
            entry = self.index.resolve(values[1], self.root) if values[1] else None
            if values[0] == "-d":
                result = entry is not None and entry.kind == "directory"
            elif values[0] == "-s":
                result = entry is not None and entry.size > 0
            elif values[0] == "-x":
                result = entry is not None and bool(entry.mode & 0o111)
            else:
                result = entry is not None and entry.kind != "directory"
        if result is None:
            return None
        return not result if negate else result

    def _is_library(self, path: str) -> bool:
        return path in ("/etc/rc.common", "/lib/functions.sh") or path.startswith(
            ("/lib/functions/", "/lib/network", "/usr/share/libubox"))

    def _source(self, entry: FileEntry, frame: _Frame) -> None:
        guard = f"source:{entry.path}"
        if guard in frame.chain or len(frame.chain) > MAX_DEPTH:
            return
        lines = self._lines(entry)
        top = self._collect_functions(entry.path, lines, frame)
        chain = frame.chain
        frame.chain = (*chain, guard)
        self._run_body(entry.path, lines, top, frame)
        frame.chain = chain

    def _dispatch(self, argv: list[str], path: str, line: int | None, frame: _Frame,
                  tty: str | None = None, inittab_action: str | None = None,
                  user: str | None = None, launcher: str | None = None) -> None:
        """One started program: unwrap launchers, follow scripts, else record a service."""
        argv = list(argv)
        user = user or frame.user
        for _ in range(6):
            if not argv:
                return
            base = posixpath.basename(argv[0])
            if base == "busybox" and len(argv) > 1:
                argv = argv[1:]
                base = posixpath.basename(argv[0])
            unwrapped = _unwrap_launcher(base, argv)
            if unwrapped is None:
                break
            argv, switched = unwrapped
            if base in ("service_start", "start-stop-daemon", "nohup", "setsid", "daemon"):
                launcher = "background" if base in ("nohup", "setsid") else base
            if switched is not None:
                user = None if switched in ("root", "0") else switched
        if not argv:
            return
        base = posixpath.basename(argv[0])
        if argv[0] == "/etc/rc.common" and len(argv) >= 2:
            target = self._entry(argv[1])
            if target is not None:
                self._follow(target, argv[2:], frame, user)
            return
        # shell running a script file: follow the script
        if base in SHELLS and len(argv) >= 2 and not argv[1].startswith("-"):
            target = self._entry(argv[1])
            if target is not None:
                self._follow(target, argv[2:], frame, user)
                return
        if base in SHELLS and "-c" in argv:
            idx = argv.index("-c")
            if idx + 1 < len(argv):
                self._run_command(_split_words(argv[idx + 1]), path, line, frame)
                return
        program, entry = self._resolve_program(argv[0])
        if entry is not None and entry.kind in ("script", "text") and not is_shell(program):
            if inittab_action in ("askfirst", "respawn", "askconsole") and tty:
                self._emit(argv, path, line, frame, action=inittab_action, tty=tty, user=user,
                           launcher=launcher)
            self._follow(entry, argv[1:], frame, user)
            return
        self._emit(argv, path, line, frame, action=inittab_action or frame.action, tty=tty,
                   user=user, launcher=launcher)

    def _follow(self, entry: FileEntry, args: list[str], frame: _Frame, user: str | None) -> None:
        saved = frame.user
        frame.user = user
        action = args[0] if args else ""
        if self._is_rc_common(entry) and action not in ("boot", "start") and (
                action in STOP_ACTIONS or action == ""):
            frame.user = saved
            return
        self._run_script(entry, args, frame)
        frame.user = saved

    def _resolve_program(self, word: str) -> tuple[str, FileEntry | None]:
        if "/" in word:
            return word, self._entry(word)
        for d in PATH_DIRS:
            entry = self.index.get(f"{d}/{word}", self.root)
            if entry is not None:
                return f"{d}/{word}", self._entry(entry.path)
        return word, None

    def _emit(self, argv: list[str], path: str, line: int | None, frame: _Frame,
              action: str | None = None, tty: str | None = None, user: str | None = None,
              launcher: str | None = None) -> None:
        argv = [a for a in argv if a]
        if not argv or not re.match(r"^[\w./$@{}+-]+$", argv[0]) or argv[0].startswith("-"):
            return
        program, entry = self._resolve_program(argv[0])
        external = argv[0].startswith(EXTERNAL_PREFIXES) or (
            posixpath.basename(argv[0]) in SHELLS and len(argv) > 1
            and argv[1].startswith(EXTERNAL_PREFIXES))
        if entry is None and launcher is None and not external:
            return  # a word we cannot resolve to a program of the image (function, builtin…)
        name = posixpath.basename(argv[0])
        if name == "busybox" and len(argv) > 1:
            argv = argv[1:]
            name = posixpath.basename(argv[0])
        user = user or frame.user
        if tty is None and name in ("getty", "agetty", "mingetty", "mgetty", "uugetty"):
            tty = next((a for a in argv[1:] if not a.startswith("-") and not a.isdigit()
                        and ("tty" in a or a == "console")), None)
        key = (path, line, tuple(argv), frame.enabled)
        if key in self.seen:
            return
        self.seen.add(key)
        via = frame.via
        if via in ("rc.d", "init.d") and path.startswith("/etc/rc.local"):
            via = "rc.local"
        self.model.services.append(Service(
            name=name,
            binary=entry.path if entry is not None else None,
            argv=tuple(argv),
            source=path,
            line=line,
            enabled=frame.enabled,
            runs_as_root=user is None,
            via=via,
            user=user,
            condition=frame.condition,
            chain=frame.chain,
            action=action,
            tty=tty,
            root=self.root,
            program=program,
            launcher=launcher,
        ))

    def _expand(self, word: str, frame: _Frame, glob: bool = False) -> list[str]:
        """Expand $VAR/${VAR} from what the scripts set; unknown variables stay as written."""
        results = [word]
        for _ in range(4):
            nxt: list[str] = []
            changed = False
            for w in results:
                m = _VAR.search(w)
                if m is None or (m.group(1) or m.group(2)) not in frame.vars:
                    nxt.append(w)
                    continue
                name = m.group(1) or m.group(2)
                changed = True
                for value in frame.vars[name][:MAX_EXPANSIONS]:
                    nxt.append(w[: m.start()] + value + w[m.end():])
            results = nxt[:MAX_EXPANSIONS]
            if not changed:
                break
        if glob:
            globbed: list[str] = []
            for w in results:
                if any(ch in w for ch in "*?[") and w.startswith("/") and "$" not in w:
                    matches = sorted(e.path for e in self.files.glob(w, root=self.root))
                    globbed.extend(matches or [w])
                else:
                    globbed.append(w)
            results = globbed[:MAX_EXPANSIONS]
        return results


# ------------------------------------------------------------------------------------------
# shell word handling
# ------------------------------------------------------------------------------------------


_SUBST_ASSIGN = re.compile(r"^\s*(?:local\s+|export\s+|readonly\s+)?([A-Za-z_]\w*)=[\"']?(?:`|\$\()")


def _via_for(path: str, current: str) -> str:
    if path.startswith("/etc/rc.local") or path == "/etc/rc.d/rc.local":
        return "rc.local"
    if current == "inittab" and path.startswith(("/etc/init.d/", "/etc/rc")):
        return "rc.d"
    return current


_SIMPLE_WORDS = re.compile(r"[;&|()<>]+|[^\s;&|()<>]+")
_QUOTED_WORDS = re.compile(r"""[;&|()<>]+|(?:[^\s;&|()<>"'\\]|\\.|"(?:[^"\\]|\\.)*"|'[^']*')+""")
_QUOTE_PART = re.compile(r"""\\(.)|"((?:[^"\\]|\\.)*)"|'([^']*)'""")


def _unquote(word: str) -> str:
    def part(m: re.Match[str]) -> str:
        if m.group(1) is not None:
            return m.group(1)
        if m.group(2) is not None:
            return re.sub(r'\\([\\"$`])', r"\1", m.group(2))
        return m.group(3)

    return _QUOTE_PART.sub(part, word)


def _split_words(text: str) -> list[str]:
    """Shell words as shlex (posix, punctuation_chars) gives them; a regex does the common
    cases because shlex is slow and boot scripts are read line by line."""
    if not any(c in text for c in "'\"\\"):
        return _SIMPLE_WORDS.findall(text)
    words = _QUOTED_WORDS.findall(text)
    if re.sub(r"\s+", "", "".join(words)) == re.sub(r"\s+", "", text):  # every quote closed
        return [_unquote(w) if any(c in w for c in "'\"\\") else w for w in words]
    try:
        lexer = shlex.shlex(text, posix=True, punctuation_chars=";&|()<>")
        lexer.whitespace_split = True
        lexer.commenters = ""
        return list(lexer)
    except ValueError:
        return text.split()


@functools.lru_cache(maxsize=32768)
def _cached_tokens(text: str) -> tuple[str, ...]:
    return tuple(_tokens_uncached(text))


def _tokens(text: str) -> list[str]:
    """shlex tokens of one logical line (memoised: scripts are re-read per call)."""
    return list(_cached_tokens(text))


def _tokens_uncached(text: str) -> list[str]:
    """shlex tokens of one logical line; a comment after whitespace ends the line."""
    text = re.sub(r"(^|\s)#.*$", "", text)
    # command substitutions run their commands too: read `cmd` and $(cmd) as separate commands
    text = re.sub(r"\$\((?!\()", " ; ", text.replace("`", " ; "))
    return _split_words(text)


def _split_commands(words: list[str]) -> list[tuple[list[str], str]]:
    """Simple commands of a token list with the separator that ends each."""
    out: list[tuple[list[str], str]] = []
    current: list[str] = []
    for w in words:
        if w in _SEPARATORS:
            if current and current not in (["&&"], ["||"]):
                out.append((current, w))
            current = [w] if w in ("&&", "||") else []
            continue
        current.append(w)
    if current:
        out.append((current, ""))
    return out


def _strip_redirects(words: list[str]) -> list[str]:
    out: list[str] = []
    skip = False
    for i, w in enumerate(words):
        if skip:
            skip = False
            continue
        if w in _REDIRECTS or (w.startswith((">", "<")) and set(w) <= set("<>&|")):
            skip = True
            if out and out[-1].isdigit() and i > 0:
                out.pop()
            continue
        out.append(w)
    return out


def _condition_text(text: str) -> str:
    m = re.match(r"^\s*(?:el)?if\s+(.*?)(?:;\s*then\b.*)?$", text)
    return (m.group(1) if m else text).strip()


def _looks_like_case_pattern(text: str) -> bool:
    head = text.split(")", 1)[0]
    return bool(head) and "(" not in head.lstrip("(") and "$(" not in text.split(")", 1)[0] \
        and not head.strip().startswith(("if ", "[", "echo"))


def _brace_delta(text: str) -> int:
    if "{" not in text and "}" not in text:
        return 0
    words = _cached_tokens(text)
    return sum(1 for w in words if w == "{") - sum(1 for w in words if w in ("}", "};"))


def _unwrap_launcher(base: str, argv: list[str]) -> tuple[list[str], str | None] | None:
    """Return (inner argv, user switched to or None) for launchers; None if not a launcher."""
    if base == "busybox" and len(argv) > 1 and posixpath.basename(argv[1]) in (
            "start-stop-daemon", "nohup", "setsid", "chroot", "su", "env", "nice", "chpst"):
        return argv[1:], None
    if base in ("nohup", "setsid", "stdbuf", "ionice", "cttyhack", "exec", "command", "nice",
                "taskset", "timeout"):
        rest = argv[1:]
        while rest and rest[0].startswith("-"):
            rest = rest[2:] if rest[0] in ("-n", "-c", "-p") and len(rest) > 1 else rest[1:]
        if base in ("taskset", "timeout") and rest:
            rest = rest[1:]
        return rest, None
    if base == "env":
        rest = argv[1:]
        while rest and (rest[0].startswith("-") or "=" in rest[0]):
            rest = rest[1:]
        return rest, None
    if base == "service_start":
        rest = argv[1:]
        while rest and rest[0].startswith("-"):
            rest = rest[1:]
        return rest, None
    if base == "start-stop-daemon":
        program: str | None = None
        user: str | None = None
        starting = False
        after: list[str] = []
        i = 1
        while i < len(argv):
            a = argv[i]
            if a == "--":
                after = argv[i + 1:]
                break
            if a in ("-S", "--start"):
                starting = True
            elif a in ("-x", "--exec", "-a", "--startas") and i + 1 < len(argv):
                program = argv[i + 1] if program is None or a in ("-x", "--exec") else program
                i += 1
            elif a.startswith("--exec="):
                program = a.split("=", 1)[1]
            elif a in ("-c", "--chuid", "-u", "--user") and i + 1 < len(argv):
                user = argv[i + 1].split(":")[0]
                i += 1
            elif a.startswith("--chuid="):
                user = a.split("=", 1)[1].split(":")[0]
            elif a in ("-p", "--pidfile", "-n", "--name", "-N", "--nicelevel", "-d", "--chdir",
                       "-r", "--chroot", "-g", "--group", "-k", "--umask", "-s", "--signal",
                       "-R", "--retry", "-P", "--procsched", "-I", "--iosched", "-O", "--output"):
                i += 1
            elif a in ("-K", "--stop", "-T", "--status"):
                return [], None
            i += 1
        if program is None or not starting:
            return ([], None) if not starting else None
        return [program, *after], user
    if base in ("su",):
        user = "root"
        cmd = None
        rest = argv[1:]
        i = 0
        while i < len(rest):
            if rest[i] in ("-c", "--command") and i + 1 < len(rest):
                cmd = rest[i + 1]
                i += 2
                continue
            if rest[i] in ("-", "-l", "--login", "-m", "-p"):
                i += 1
                continue
            if rest[i] in ("-s", "--shell") and i + 1 < len(rest):
                i += 2
                continue
            if not rest[i].startswith("-"):
                user = rest[i]
            i += 1
        if cmd is None:
            return None
        return _split_words(cmd), user
    if base in ("runuser", "sudo", "setpriv", "chpst", "s6-setuidgid", "setuidgid", "chroot"):
        rest = argv[1:]
        user = None
        if base in ("s6-setuidgid", "setuidgid") and rest:
            return rest[1:], rest[0]
        if base == "chroot":
            while rest and rest[0].startswith("-"):
                if rest[0].startswith("--userspec="):
                    user = rest[0].split("=", 1)[1].split(":")[0]
                rest = rest[1:]
            return rest[1:], user  # drop the new root directory
        while rest and rest[0].startswith("-"):
            opt = rest[0]
            if opt in ("-u", "--user", "-U") and len(rest) > 1:
                user = rest[1]
                rest = rest[2:]
                continue
            if opt.startswith(("--user=", "--reuid=")):
                user = opt.split("=", 1)[1]
            if opt == "--":
                rest = rest[1:]
                break
            rest = rest[1:]
        return rest, user
    return None
