"""What a run can see: the warm parent moves once into a mount namespace of its own (as root; else
into a user namespace with it) where the data directory, the token and the key files are covered,
/proc shows a process only to its own uid, and ancestors of the interpreter, this package and the
working directory that a sandbox uid could not traverse are replaced by a traversable, read-only
view of just those paths. Runs then drop every capability. Decisions: docs/python-runner.md,
"Isolation"."""
import os
import stat
import sys

from qntx_runner.sandbox import LIBC, ctypes

CLONE_NEWNS = 0x00020000
CLONE_NEWUSER = 0x10000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_SLAVE = 32, 4096, 16384, 1 << 19
MNT_DETACH = 2
O_PATH = getattr(os, 'O_PATH', 0o10000000)


def _check(rc, what):
    if rc != 0:
        e = ctypes.get_errno()
        raise OSError(e, '%s: %s' % (what, os.strerror(e)))


def mount(source, target, fstype, flags, data=None):
    enc = lambda s: None if s is None else s.encode()  # noqa: E731
    _check(LIBC.mount(enc(source), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data)),
           'mount %s' % target)


def unshare(flags):
    _check(LIBC.unshare(ctypes.c_int(flags)), 'unshare')


def _write(path, text):
    with open(path, 'w') as f:
        f.write(text)


class Isolation(object):
    """The parent's view, made once. `mode` is 'root' (a mount namespace), 'userns' (a user and
    mount namespace: runs share the server's uid) or None, with `reason` saying why not."""

    def __init__(self):
        self.mode = None
        self.reason = None
        self.hidden = []  # (path, O_PATH fd) of each covered directory
        self.replaced = []  # tmpfs views made over untraversable directories

    # -- set up once, in the parent ------------------------------------------------------------
    def setup(self, hide, needed, sandbox_gid):
        """hide: paths runs must not see; needed: (path, read_only) runs must reach; sandbox_gid:
        the sandbox uid's group when runs drop to a sandbox uid, else None."""
        if LIBC is None:
            self.reason = 'Python has no ctypes'
            return self
        try:
            if os.geteuid() == 0:
                unshare(CLONE_NEWNS)
                self.mode = 'root'
            else:
                uid, gid = os.getuid(), os.getgid()
                unshare(CLONE_NEWUSER | CLONE_NEWNS)
                # The same ids inside: files keep their owners; only capabilities are gained.
                _write('/proc/self/setgroups', 'deny')
                _write('/proc/self/uid_map', '%d %d 1\n' % (uid, uid))
                _write('/proc/self/gid_map', '%d %d 1\n' % (gid, gid))
                self.mode = 'userns'
            # Our mounts never reach the server's view; the host's later mounts still reach ours.
            mount(None, '/', None, MS_REC | MS_SLAVE)
        except OSError as e:
            self.mode = None
            self.reason = 'no mount namespace (%s)' % (e.strerror or e)
            return self
        cwd = os.getcwd()
        hide = [os.path.realpath(p) for p in hide]
        for p in hide:
            try:
                st = os.stat(p)
            except OSError:
                continue
            if stat.S_ISDIR(st.st_mode):
                self.hidden.append((p, os.open(p, O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)))
        if sandbox_gid is not None:
            self.traversable_view([(os.path.realpath(p), ro) for p, ro in needed if p], hide, sandbox_gid)
        for p in hide:
            self.cover(p)
        if self.mode == 'root':
            # A process is listed only to its uid (and root): a run sees neither the server nor
            # the parent, nor another run's processes.
            mount('proc', '/proc', 'proc', MS_NOSUID | MS_NODEV | MS_NOEXEC, 'hidepid=invisible')
        try:
            os.chdir(cwd)  # the working directory as the view shows it
        except OSError:
            pass
        return self

    def cover(self, path):
        try:
            st = os.lstat(path)
        except OSError:
            return  # not there, or already out of the view
        if stat.S_ISDIR(st.st_mode):
            mount('tmpfs', path, 'tmpfs', MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, 'mode=000,size=4k')
        elif stat.S_ISREG(st.st_mode):
            mount('/dev/null', path, None, MS_BIND)
            mount(None, path, None, MS_REMOUNT | MS_BIND | MS_RDONLY)

    def traversable_view(self, needed, hide, gid):
        """Each ancestor of a needed path that others may not enter (e.g. /root, 0700, holding a
        pyenv interpreter) becomes a tmpfs (0755) holding only the needed paths, bound back."""
        for _ in range(8):  # an untraversable directory inside a bound path: again, deeper
            blocked = {}
            for p, ro in needed:
                if not os.path.isdir(p) or any(p == h or p.startswith(h + '/') for h in hide):
                    continue
                a = first_blocked(p, gid)
                if a is not None:
                    blocked.setdefault(a, []).append((p, ro))
            if not blocked:
                return
            for a in sorted(blocked):
                if not any(a != b and a.startswith(b + '/') for b in blocked):
                    self.replace(a, blocked[a])

    def replace(self, top, paths):
        paths = sorted(set(paths))
        outer = [(p, ro) for p, ro in paths
                 if not any(q != p and p.startswith(q + '/') for q, _ in paths)]
        fds = [(p, ro, os.open(p, O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)) for p, ro in outer]
        try:
            mount('tmpfs', top, 'tmpfs', MS_NOSUID | MS_NODEV, 'mode=755,size=64k')
            for p, ro, fd in fds:
                if p != top:
                    os.makedirs(p, 0o755, exist_ok=True)
                mount('/proc/self/fd/%d' % fd, p, None, MS_BIND | MS_REC)
                if ro:
                    mount(None, p, None, MS_REMOUNT | MS_BIND | MS_RDONLY)
            mount(None, top, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)
            self.replaced.append(top)
        finally:
            for _, _, fd in fds:
                os.close(fd)

    def release(self):
        """At shutdown: the views made over directories are taken away, so that the parent removes
        its directory of run directories where it really is."""
        for top in reversed(self.replaced):
            LIBC.umount2(top.encode(), ctypes.c_int(MNT_DETACH))
        self.replaced = []

    def open_input(self, path):
        """A file the run is handed (an `so` input spooled in the data directory): opened by the
        parent's side, through the covered directory's descriptor when the view hides it."""
        real = os.path.realpath(path)
        for top, fd in self.hidden:
            if real.startswith(top + '/'):
                return os.open(os.path.relpath(real, top), os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW, dir_fd=fd)
        return os.open(real, os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW)

    # -- per run, in the child -----------------------------------------------------------------
    def private_run_dir(self, runs_root, run_dir):
        """Runs that share a uid: each gets a mount namespace of its own in which the directory of
        run directories holds only its own."""
        if self.mode is None:
            return
        unshare(CLONE_NEWNS)
        fd = os.open(run_dir, O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)  # a mount of this namespace
        try:
            mount('tmpfs', runs_root, 'tmpfs', MS_NOSUID | MS_NODEV, 'mode=711,size=4k')
            os.mkdir(run_dir, 0o700)
            mount('/proc/self/fd/%d' % fd, run_dir, None, MS_BIND)
            mount(None, runs_root, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)
        finally:
            os.close(fd)


def first_blocked(path, gid):
    """The outermost directory on the way to `path` (not itself: binding it back would not change
    its mode) that a process of another uid in group `gid` cannot enter, or None."""
    cur = '/'
    for part in [''] + [c for c in path.split('/') if c][:-1]:
        cur = os.path.join(cur, part) if part else '/'
        try:
            st = os.stat(cur)
        except OSError:
            return None
        bit = 0o010 if st.st_gid == gid else 0o001
        if not st.st_mode & bit:
            return cur
    return None


def needed_paths(cfg, runs_root):
    """What runs must reach: the interpreter and its library, this package, the working directory,
    the directories on PATH (read-only), and the directory of run directories (writable)."""
    pkg = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = [(sys.prefix, True), (sys.base_prefix, True), (sys.exec_prefix, True),
           (os.path.dirname(os.path.realpath(sys.executable)), True), (pkg, True),
           (os.getcwd(), True), (runs_root, False)]
    for d in (cfg.get('env') or {}).get('PATH', '').split(':'):
        if d.startswith('/'):
            out.append((d, True))
    return out
