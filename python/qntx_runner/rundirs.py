"""Each run's private directory (its HOME and TMPDIR) and its environment: made fresh for each
run and taken away when it ends, without the parent's loop waiting on the file system. Decisions: docs/python-runner.md, "Environment and private directory"."""
import os
import shutil
import signal
import stat
import sys
import tempfile


def make_runs_root(tmp_root, sandboxed):
    """The parent's directory of run directories (qntx-runs-<pid>-<random>, made with mkdtemp so
    no one can have made it first); those of parents that died (SIGKILL) are removed first."""
    remove_stale_roots(tmp_root)
    root = tempfile.mkdtemp(prefix='qntx-runs-%d-' % os.getpid(), dir=tmp_root)
    if sandboxed:
        os.chmod(root, 0o711)  # sandbox uids may enter their own run directory, not list others
    return root


def remove_stale_roots(tmp_root):
    euid = os.geteuid()
    try:
        names = os.listdir(tmp_root)
    except OSError:
        return
    for name in names:
        parts = name.split('-')
        if len(parts) != 4 or parts[:2] != ['qntx', 'runs'] or not parts[2].isdigit():
            continue
        path = os.path.join(tmp_root, name)
        try:
            st = os.lstat(path)
            os.kill(int(parts[2]), 0)
            continue  # its parent is alive
        except ProcessLookupError:
            pass
        except OSError:
            continue
        if st.st_uid == euid and os.path.isdir(path) and not os.path.islink(path):
            remove_tree(path)


def run_environment(base, run_dir):
    """The whole environment of a run: the allowlisted variables Node sent, its HOME and TMPDIR."""
    env = dict(base)
    env['HOME'] = env['TMPDIR'] = run_dir
    return env


def enter_environment(env):
    """In the child: os.environ (and so every program the script starts) becomes exactly `env`."""
    os.environ.clear()
    os.environ.update(env)
    if 'tempfile' in sys.modules:
        tempfile.tempdir = None  # computed again from TMPDIR


def is_empty_dir(path):
    try:
        st = os.lstat(path)
        if not stat.S_ISDIR(st.st_mode):
            return False
        with os.scandir(path) as it:
            return next(it, None) is None
    except OSError:
        return False


def remove_tree(path):
    """Removes a run's directory once no process of the run is left. shutil.rmtree works on file
    descriptors here, so a symlink planted inside is removed, never followed."""
    if path is None:
        return
    try:
        os.rmdir(path)  # most runs leave their directory empty
        return
    except OSError:
        pass
    try:
        shutil.rmtree(path)
    except FileNotFoundError:
        pass
    except OSError as e:
        sys.stderr.write('qntx runner: could not remove %s: %s\n' % (path, e))


class RunDirs(object):
    """Makes each run's directory and takes it away when the run ends, without the parent's loop
    waiting on the file system (an rmdir can take milliseconds: ext4 with online discard). A
    finished run's directory is renamed at once into a root-only trash, out of reach of later runs
    of the same uid. There, an empty one is kept for a later run (renamed to that run's name,
    given to its uid with mode 0700 and no ACL: a fresh directory for a rename's cost); one with
    contents goes to the janitor, a process of the parent's that deletes it. When the janitor is
    behind (its pipe is full) or gone, the parent deletes it itself."""

    SPARES = 64

    def __init__(self, root):
        self.root = root
        self.trash = os.path.join(root, '.trash')
        os.mkdir(self.trash, 0o700)
        self.spares = []
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            self._serve(r)
        os.close(r)
        os.set_blocking(w, False)
        self.janitor, self.w = pid, w

    def make(self, rid, uid, gid):
        """<root>/<id>, empty and private to the run (its uid when sandboxed)."""
        path = os.path.join(self.root, str(rid))
        if self.spares:
            os.rename(self.spares.pop(), path)
            for acl in ('system.posix_acl_access', 'system.posix_acl_default'):
                try:
                    os.removexattr(path, acl, follow_symlinks=False)
                except OSError:
                    pass  # none set (ENODATA), or no ACL support
            os.chmod(path, 0o700)
        else:
            os.mkdir(path, 0o700)
        if uid is not None:
            os.chown(path, uid, gid)
        return path

    def release(self, path):
        """Once no process of the run is left: out of reach now, deleted or reused later."""
        dest = os.path.join(self.trash, os.path.basename(path))
        try:
            os.rename(path, dest)
        except OSError:
            remove_tree(path)
            return
        if len(self.spares) < self.SPARES and is_empty_dir(dest):
            self.spares.append(dest)
            return
        try:
            os.write(self.w, (dest + '\n').encode())  # < PIPE_BUF: written whole or not at all
        except OSError:  # full (the janitor is behind: back-pressure) or gone
            remove_tree(dest)

    def close(self):
        """Lets the janitor finish what it was given, then waits for it."""
        try:
            os.close(self.w)
            os.waitpid(self.janitor, 0)
        except OSError:
            pass

    def _serve(self, r):
        try:
            signal.set_wakeup_fd(-1)  # the parent's wake-up pipe is not ours
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            for name in os.listdir('/proc/self/fd'):
                fd = int(name)
                if fd > 2 and fd != r:
                    try:
                        os.close(fd)
                    except OSError:
                        pass
            buf = b''
            while True:
                data = os.read(r, 1 << 16)
                if not data:
                    break
                buf += data
                *paths, buf = buf.split(b'\n')
                for p in paths:
                    path = p.decode()
                    if os.path.dirname(path) == self.trash:  # only what the parent put there
                        remove_tree(path)
        finally:
            os._exit(0)
