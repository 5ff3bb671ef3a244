"""Containment of a run: rlimits, capabilities, the sandbox uid (as root), the uid-block lock that keeps two
warm parents' runs apart, and what a uid leaves behind (/dev/shm, SysV IPC). Decisions:
docs/python-runner.md, "Sandbox uid"."""
import os
import resource
import signal
import stat

from qntx_runner import rundirs

try:
    import ctypes

    LIBC = ctypes.CDLL(None, use_errno=True)
except Exception:  # a Python built without ctypes: no pdeathsig, subreaper or capabilities
    ctypes = None
    LIBC = None

UID_BLOCK = 64  # sandbox uids per warm parent; also the most concurrent runs
PR_SET_PDEATHSIG = 1
PR_CAPBSET_DROP = 24
PR_SET_CHILD_SUBREAPER = 36
PR_SET_NO_NEW_PRIVS = 38
PR_CAP_AMBIENT = 47
PR_CAP_AMBIENT_CLEAR_ALL = 4
IPC_RMID = 0


def prctl(option, arg2=0, arg3=0):
    if LIBC is None:
        return -1
    return LIBC.prctl(ctypes.c_int(option), ctypes.c_ulong(arg2), ctypes.c_ulong(arg3),
                      ctypes.c_ulong(0), ctypes.c_ulong(0))


def become_subreaper():
    return prctl(PR_SET_CHILD_SUBREAPER, 1) == 0


def claim_uid_block(base, lock_dir):
    """(first uid, lock fd) of a free block of UID_BLOCK uids, held by an flock for our lifetime.
    The locks live in one root-owned directory for the whole machine (never $TMPDIR, which differs
    between servers and which sandbox uids may write), keyed by the block's first uid."""
    import fcntl
    dfd = open_lock_dir(lock_dir)
    try:
        for k in range(64):
            uid = base + k * UID_BLOCK
            fd = os.open('uids-%d.lock' % uid, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC,
                         0o600, dir_fd=dfd)
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode) or st.st_uid != 0:
                os.close(fd)
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                continue
            return uid, fd
    finally:
        os.close(dfd)
    raise RuntimeError('no free block of sandbox uids in %s' % lock_dir)


def open_lock_dir(path):
    """The lock directory, made if missing; refused unless a real directory only root may write."""
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        pass
    except OSError as e:
        raise RuntimeError('cannot make the sandbox lock directory %s: %s' % (path, e)) from None
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError as e:
        raise RuntimeError('cannot open the sandbox lock directory %s: %s' % (path, e)) from None
    st = os.fstat(fd)
    if st.st_uid != 0 or st.st_mode & 0o022:
        os.close(fd)
        raise RuntimeError('the sandbox lock directory %s must be owned by root and writable only by it' % path)
    return fd


def _last_cap():
    try:
        with open('/proc/sys/kernel/cap_last_cap') as f:
            return int(f.read())
    except (OSError, ValueError):
        return 63


CAP_LAST = _last_cap()


def drop_bounding_set():
    """The bounding and ambient sets emptied, so no program the run starts regains a capability,
    not even one run as uid 0. Needs CAP_SETPCAP (before the uid changes); without it (a server
    that is not root and has no user namespace) there is nothing to drop."""
    if LIBC is None:
        return
    drop, zero = ctypes.c_int(PR_CAPBSET_DROP), ctypes.c_ulong(0)
    for cap in range(CAP_LAST + 1):
        LIBC.prctl(drop, ctypes.c_ulong(cap), zero, zero, zero)
    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL)


if LIBC is not None:
    class _CapHeader(ctypes.Structure):
        _fields_ = [('version', ctypes.c_uint32), ('pid', ctypes.c_int)]

    class _CapData(ctypes.Structure):
        _fields_ = [('effective', ctypes.c_uint32), ('permitted', ctypes.c_uint32),
                    ('inheritable', ctypes.c_uint32)]
    # Built once in the parent: a run only makes the call.
    _CAP_ARGS = (ctypes.byref(_CapHeader(0x20080522, 0)), (_CapData * 2)())


def clear_capabilities():
    """Effective, permitted and inheritable emptied: a run that stays uid 0 (or root of a user
    namespace) keeps no power over files or processes."""
    if LIBC is not None and LIBC.capset(*_CAP_ARGS) != 0:
        raise OSError(ctypes.get_errno(), 'capset')


def drop_privileges(uid, gid):
    """Root only: become uid/gid so RLIMIT_NPROC binds; setuid clears every capability left."""
    os.setgroups([])
    os.setgid(gid)
    os.setuid(uid)


def contain(lim, file_bytes, nproc, uid, gid, parent_pid):
    """In the child, before the script: rlimits, the uid, no new privileges, death with the parent."""
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    # The server runs with umask 077 (its files are its own); a handler's files get the usual modes.
    os.umask(0o022)
    resource.setrlimit(resource.RLIMIT_CPU, (lim['cpuSeconds'], lim['cpuSeconds'] + 1))
    file_bytes = min(file_bytes, lim['diskBytes'])  # one file cannot pass what the whole run may store
    resource.setrlimit(resource.RLIMIT_FSIZE, (file_bytes, file_bytes))
    if nproc is not None:
        resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
    drop_bounding_set()
    if uid is not None:
        drop_privileges(uid, gid)
    clear_capabilities()
    prctl(PR_SET_NO_NEW_PRIVS, 1)
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # after setuid, which clears it
    if os.getppid() != parent_pid:
        os._exit(71)  # the parent died before pdeathsig was armed
    resource.setrlimit(resource.RLIMIT_AS, (lim['memoryBytes'], lim['memoryBytes']))


def contain_process(nproc, uid, gid, parent_pid):
    """contain() without the run's own limits, for a process prepared before its run
    (child.spare_main): the same steps, in the same order; limit_run() follows when the run comes."""
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    os.umask(0o022)
    if nproc is not None:
        resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
    drop_bounding_set()
    if uid is not None:
        drop_privileges(uid, gid)
    clear_capabilities()
    prctl(PR_SET_NO_NEW_PRIVS, 1)
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # after setuid, which clears it
    if os.getppid() != parent_pid:
        os._exit(71)  # the parent died before pdeathsig was armed


def _lower(res, soft, hard):
    """Lowers a limit after the process gave up its privileges: a hard limit already below the
    run's stays (it can no longer be raised), and binds all the more."""
    _, cur_hard = resource.getrlimit(res)
    if cur_hard != resource.RLIM_INFINITY:
        hard = min(hard, cur_hard)
        soft = min(soft, hard)
    resource.setrlimit(res, (soft, hard))


def limit_run(lim, file_bytes):
    """The run's CPU, largest-file and address-space limits, as contain() sets them."""
    _lower(resource.RLIMIT_CPU, lim['cpuSeconds'], lim['cpuSeconds'] + 1)
    file_bytes = min(file_bytes, lim['diskBytes'])
    _lower(resource.RLIMIT_FSIZE, file_bytes, file_bytes)
    _lower(resource.RLIMIT_AS, lim['memoryBytes'], lim['memoryBytes'])


ENTRY_BYTES = 4096  # the least one file or directory counts, as in src/python/disk-watch.ts


def _entry_bytes(st):
    return max(st.st_size, st.st_blocks * 512, ENTRY_BYTES)


def tree_bytes(root, stop_at):
    """A tree's files, directories and links (never followed); stops counting past stop_at."""
    total, dirs = 0, [root]
    while dirs and total <= stop_at:
        d = dirs.pop()
        try:
            names = os.listdir(d)
        except OSError:
            continue
        for name in names:
            try:
                st = os.lstat(os.path.join(d, name))
            except OSError:
                continue
            total += _entry_bytes(st)
            if stat.S_ISDIR(st.st_mode):
                dirs.append(os.path.join(d, name))
    return total


def final_usage(run_dir, uid, stop_at):
    """What a run stored when it ended (its directory, and with the sandbox its /dev/shm files and
    SysV segments), counted up to just past stop_at: a run can write more between two samples of
    the watch than the cap allows; this last count, before the leftovers go, sees all of it."""
    total = tree_bytes(run_dir, stop_at) if run_dir else 0
    if uid is None:
        return total
    for path, st in dev_shm_entries(uid):
        if total > stop_at:
            return total
        total += tree_bytes(path, stop_at - total) if stat.S_ISDIR(st.st_mode) else _entry_bytes(st)
    return total + sum(size for _, size in sysv_objects('shm', uid))


def dev_shm_entries(uid):
    """(path, lstat) of the entries of /dev/shm owned by uid."""
    try:
        names = os.listdir('/dev/shm')
    except OSError:
        return
    for name in names:
        path = os.path.join('/dev/shm', name)
        try:
            st = os.lstat(path)
        except OSError:
            continue
        if st.st_uid == uid:
            yield path, st


def remove_uid_leftovers(uid):
    """With the sandbox, once every process of the uid is dead: its files in /dev/shm and its SysV
    IPC objects, which outlive processes and would hold memory until reboot."""
    for path, st in list(dev_shm_entries(uid)):
        try:
            if stat.S_ISDIR(st.st_mode):
                rundirs.remove_tree(path)
            else:
                os.unlink(path)
        except OSError:
            pass
    if LIBC is None:
        return
    for kind, rm in (('shm', lambda i: LIBC.shmctl(i, IPC_RMID, None)),
                     ('sem', lambda i: LIBC.semctl(i, 0, IPC_RMID)),
                     ('msg', lambda i: LIBC.msgctl(i, IPC_RMID, None))):
        for ident, _ in sysv_objects(kind, uid):
            rm(ident)


def sysv_objects(kind, uid):
    """(id, size) of the SysV IPC objects of `kind` owned or created by uid (/proc/sysvipc); the
    size is a shared memory segment's bytes, 0 for the other kinds."""
    try:
        with open('/proc/sysvipc/' + kind) as f:
            lines = f.read().splitlines()[1:]
    except OSError:
        return []
    head = {'shm': (7, 9), 'sem': (4, 6), 'msg': (7, 9)}[kind]  # columns of uid and cuid
    out = []
    for line in lines:
        f = line.split()
        try:
            if int(f[head[0]]) == uid or int(f[head[1]]) == uid:
                out.append((int(f[1]), int(f[3]) if kind == 'shm' else 0))
        except (IndexError, ValueError):
            pass
    return out


def kill_uid(uid, gid):
    """kill(-1) as that uid reaches every process of the uid, whatever group or session."""
    pid = os.fork()
    if pid == 0:
        try:
            os.setgid(gid)
            os.setuid(uid)
            os.kill(-1, signal.SIGKILL)
        finally:
            os._exit(0)
    os.waitpid(pid, 0)


def count_user_processes():
    uid = os.getuid()
    count = 0
    for name in os.listdir('/proc'):
        if name.isdigit():
            try:
                if os.stat('/proc/' + name).st_uid == uid:
                    count += 1
            except OSError:
                pass
    return count


def proc_uid(pid):
    try:
        with open('/proc/%d/status' % pid) as f:
            for line in f:
                if line.startswith('Uid:'):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return None
