"""A real IMAP server for tests: Debian's Dovecot (`make dovecot` installs it), started on a spare loopback port
with a throwaway configuration, maildir and passwd-file, run as the current user (no system service).

Stopped and started again on the same port to play a server that goes away mid-sync; filled with IMAP APPEND.
"""

from __future__ import annotations

import contextlib
import grp
import os
import pwd
import shutil
import signal
import subprocess
import time
from pathlib import Path

from imapclient import IMAPClient

from tests.reminders.smtp_server import free_port

DOVECOT = shutil.which("dovecot") or ("/usr/sbin/dovecot" if Path("/usr/sbin/dovecot").exists() else None)

CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {internal_user}
default_internal_group = {internal_group}
default_login_user = {login_user}
first_valid_uid = {uid}
last_valid_uid = {uid}
mail_location = maildir:{root}/mail/%u
mail_uid = {uid}
mail_gid = {gid}
# Lots of APPENDs in a row (the 5,000-message mailbox): no per-message fsync.
mail_fsync = never
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u
}}
namespace inbox {{
  inbox = yes
  mailbox Sent {{
    special_use = \\Sent
    auto = create
  }}
  mailbox Drafts {{
    special_use = \\Drafts
    auto = create
  }}
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service imap {{
  # Failed logins are not slowed down for tests (a real server waits a few seconds).
  process_limit = 64
}}
auth_failure_delay = 0
"""


def _children(pid: int) -> list[int]:
    """Return the ids of the processes `pid` started (read from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rpartition(")")[2].split()[1]) == pid:
                found.append(int(entry.name))
    return found


class Dovecot:
    """A Dovecot with one user per `add_user`, listening on `self.port`, throwaway under `root`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port()
        self.host = "127.0.0.1"
        self.users: dict[str, str] = {}
        self.config = root / "dovecot.conf"
        for folder in ("run", "state", "mail", "home"):
            (root / folder).mkdir(parents=True, exist_ok=True)
        user, group = pwd.getpwuid(os.getuid()).pw_name, grp.getgrgid(os.getgid()).gr_name
        # Dovecot's login and internal processes refuse to run as root: as root (CI containers), they run as
        # the unprivileged users Debian's package creates, who must be able to reach the sockets under `root`.
        # Mail processes refuse uid 0 too: as root the mail belongs to the `dovecot` user.
        internal = ("dovecot", "dovecot", "dovenull") if os.getuid() == 0 else (user, group, user)
        uid, gid = os.getuid(), os.getgid()
        if uid == 0:
            uid, gid = pwd.getpwnam("dovecot").pw_uid, grp.getgrnam("dovecot").gr_gid
            root.chmod(0o755)
            for folder in ("mail", "home"):
                os.chown(root / folder, uid, gid)
        self.config.write_text(
            CONFIG.format(
                root=root,
                port=self.port,
                internal_user=internal[0],
                internal_group=internal[1],
                login_user=internal[2],
                uid=uid,
                gid=gid,
            )
        )
        (root / "passwd").write_text("")

    def add_user(self, user: str, password: str) -> None:
        self.users[user] = password
        lines = "".join(f"{name}:{{PLAIN}}{secret}::::::\n" for name, secret in self.users.items())
        (self.root / "passwd").write_text(lines)

    def _pid(self) -> int | None:
        path = self.root / "run" / "master.pid"
        return int(path.read_text().strip()) if path.exists() else None

    @property
    def running(self) -> bool:
        return self._pid() is not None

    def start(self) -> None:
        assert DOVECOT, "dovecot is not installed (make dovecot)"
        # The master forks into the background: its output goes to the log, not to pipes we would wait on.
        subprocess.run(
            [DOVECOT, "-c", str(self.config)],
            check=True,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with IMAPClient(self.host, port=self.port, ssl=False, timeout=1):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"Dovecot did not start: {(self.root / 'dovecot.log').read_text()[-2000:]}")

    def stop(self) -> None:
        """Stop the server and every session it serves (a server going away, not a graceful restart)."""
        pid = self._pid()
        if pid is None:
            return
        sessions = _children(pid)
        os.kill(pid, signal.SIGTERM)
        for child in sessions:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and (self.root / "run" / "master.pid").exists():
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)
        (self.root / "run" / "master.pid").unlink(missing_ok=True)

    def imap(self, user: str) -> IMAPClient:
        """Return a logged-in IMAP connection for `user` (close it with `logout()` or a `with`)."""
        client = IMAPClient(self.host, port=self.port, ssl=False, timeout=10)
        client.login(user, self.users[user])
        return client

    def append(self, user: str, folder: str, raw: bytes | list[bytes], flags: tuple[bytes, ...] = ()) -> None:
        """APPEND one message or many to `user`'s `folder`."""
        with self.imap(user) as imap:
            for message in raw if isinstance(raw, list) else [raw]:
                imap.append(folder, message, flags=flags)

    def empty(self, user: str) -> None:
        """Delete every message of `user` (all folders), for the next test."""
        with self.imap(user) as imap:
            for _flags, _delimiter, name in imap.list_folders():
                imap.select_folder(name)
                uids = imap.search("ALL")
                if uids:
                    imap.delete_messages(uids)
                    imap.expunge()

    def reset_uidvalidity(self, user: str, folder: str) -> None:
        """Recreate `folder` with its messages, so the server gives it a new UIDVALIDITY (a restored backup)."""
        with self.imap(user) as imap:
            imap.select_folder(folder)
            uids = imap.search("ALL")
            fetched = imap.fetch(uids, ["RFC822", "FLAGS"]) if uids else {}
            imap.close_folder()
            if folder.upper() == "INBOX":
                raise ValueError("INBOX cannot be deleted; reset another folder")
            imap.delete_folder(folder)
            imap.create_folder(folder)
            for uid in sorted(fetched):
                imap.append(folder, fetched[uid][b"RFC822"])
