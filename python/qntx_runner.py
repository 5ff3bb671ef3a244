# qntx Python runner: a warm parent that Node starts once and that fork()s one isolated child per
# run. Standard library only, Python >= 3.9. Protocol and process model: docs/python-runner.md.
import base64
import builtins
import datetime
import gc
import io
import json
import linecache
import os
import random
import re
import resource
import selectors
import signal
import sys
import threading
import time
import traceback

try:
    import ctypes

    LIBC = ctypes.CDLL(None, use_errno=True)
except Exception:  # a Python built without ctypes: no pdeathsig, subreaper or capabilities
    ctypes = None
    LIBC = None

FILENAME = '<handler>'
PROTO_FD = 3  # in the child: the protocol pipe to the parent (0 = /dev/null, 1/2 = output pipes)
BATCH_ITEMS = 1000
BATCH_BYTES = 1 << 20
BATCH_SECONDS = 0.1
PROGRESS_SECONDS = 0.1
WINDOW = 4  # batches forwarded to Node and not yet acknowledged before the parent stops reading
MAX_CHILD_LINE = 32 << 20
MAX_ITEMS_PER_BATCH = 10000
MAX_VALUE_BYTES = 2000
MAX_VALUES_PER_FIELD = 256
MAX_ATTRIBUTES_BYTES = 1 << 20
MAX_STATE_BYTES = 16 << 20
MAX_ERROR_CHARS = 4000
MAX_TIMESTAMP_MS = 8640000000000000
READ_SIZE = 1 << 16
UID_BLOCK = 64  # sandbox uids per warm parent; also the most concurrent runs
ASID_RE = re.compile(r'^AS[0-9A-HJKMNP-TV-Z]{26}\Z')
ENC = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(',', ':'))
CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'
B32_TO_CROCKFORD = bytes.maketrans(b'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', CROCKFORD.encode())
PAIRS = [a + b for a in CROCKFORD for b in CROCKFORD]

PR_SET_PDEATHSIG = 1
PR_SET_KEEPCAPS = 8
PR_SET_CHILD_SUBREAPER = 36
PR_SET_NO_NEW_PRIVS = 38
PR_CAP_AMBIENT = 47
PR_CAP_AMBIENT_RAISE = 2
CAP_DAC_READ_SEARCH = 2

# Modules the namespace needs, plus common ones handlers import: loaded once in the parent so a
# run does not pay for them.
PRELOAD = ('json', 'datetime', 're', 'collections', 'itertools', 'functools', 'math', 'pathlib',
           'hashlib', 'csv', 'subprocess', 'urllib.parse', 'uuid', 'decimal', 'typing', 'dataclasses')


def prctl(option, arg2=0, arg3=0):
    if LIBC is None:
        return -1
    return LIBC.prctl(ctypes.c_int(option), ctypes.c_ulong(arg2), ctypes.c_ulong(arg3),
                      ctypes.c_ulong(0), ctypes.c_ulong(0))


# ---------------------------------------------------------------------------------------------
# Validation shared by attest() in the child (raising for the user) and by the parent (checking
# what arrives on the protocol pipe, where the same errors mean a protocol violation).

def _value(v, name):
    """UTF-8 size of one value; raises for a non-string, a blank or a too long one."""
    if not isinstance(v, str):
        raise TypeError('%s must be strings, got %s' % (name, type(v).__name__))
    if v.isascii():  # O(1): no encoding needed to know the size
        n = len(v)
    else:
        try:
            n = len(v.encode('utf-8'))
        except UnicodeEncodeError:
            raise ValueError('%s must be valid Unicode (no lone surrogates)' % name) from None
    if n == 0 or v.isspace():
        raise ValueError('%s must not be empty or blank' % name)
    if n > MAX_VALUE_BYTES:
        raise ValueError('%s values must be at most %d UTF-8 bytes (got %d)' % (name, MAX_VALUE_BYTES, n))
    return n


def values(v, name, size):
    """A str or a non-empty list/tuple of str -> list; duplicates dropped, order kept."""
    if isinstance(v, str):
        size[0] += _value(v, name)
        return [v]
    if not isinstance(v, (list, tuple)):
        raise TypeError('%s must be a string or a list of strings, got %s' % (name, type(v).__name__))
    if not v:
        raise ValueError('%s must not be an empty list' % name)
    if len(v) > MAX_VALUES_PER_FIELD:
        raise ValueError('%s must have at most %d values' % (name, MAX_VALUES_PER_FIELD))
    n = 0
    for x in v:
        n += _value(x, name)
    size[0] += n
    return list(dict.fromkeys(v)) if len(v) > 1 else list(v)


def check_list(v, name):
    if type(v) is not list or not v or len(v) > MAX_VALUES_PER_FIELD:
        raise ValueError('%s must be a list of 1 to %d strings' % (name, MAX_VALUES_PER_FIELD))
    for x in v:
        _value(x, name)


def check_item(item):
    """The parent's check of one attestation as sent by the child: a 7-element list."""
    if not isinstance(item, list) or len(item) != 7:
        raise ValueError('an attestation must be a list of 7 fields')
    aid, subjects, predicates, contexts, actors, attributes, ts = item
    if not isinstance(aid, str) or not ASID_RE.match(aid):
        raise ValueError('bad attestation id')
    check_list(subjects, 'subjects')
    check_list(predicates, 'predicates')
    check_list(contexts, 'contexts')
    if actors is not None:
        check_list(actors, 'actors')
    if attributes is not None and not isinstance(attributes, dict):
        raise ValueError('attributes must be an object or null')
    if ts is not None and (type(ts) is not int or not 0 <= ts <= MAX_TIMESTAMP_MS):
        raise ValueError('timestamp must be an integer (ms) or null')


# ---------------------------------------------------------------------------------------------
# The child: the script's namespace (attest, progress, ix) and the run itself.

class Ix(object):
    """The `ix` object of the script's namespace."""

    def __init__(self, ctx, bridge=None):
        self._bridge = bridge
        self.script_type = ctx.get('scriptType')
        self.args = list(ctx.get('args') or [])
        self.flags = dict(ctx.get('flags') or {})
        last = ctx.get('lastRun')
        self.last_run = None if last is None else \
            datetime.datetime.fromtimestamp(last / 1000.0, tz=datetime.timezone.utc)
        self.state = dict(ctx.get('state') or {})
        self.input = AxInput(ctx.get('input'))

    def checkpoint(self, state=None):
        """Commit what was attested so far together with `state` (default: ix.state), in one
        transaction: a run that fails later is retried from here. Returns nothing."""
        if state is not None:
            self.state = state
        ok, error, details, saved = finish_state(self)
        if not ok:
            raise (ValueError if 'state=too_large' in details else TypeError)(error)
        if self._bridge is None:
            raise RuntimeError('ix.checkpoint() works only inside a run')
        self._bridge.flush(state=saved)

    def __repr__(self):
        return 'ix(script_type=%r, args=%r, flags=%r, last_run=%r)' % (
            self.script_type, self.args, self.flags, self.last_run)


class AxInput(object):
    """ix.input: the attestations an `ax ... so <type>` query found (empty for plain ix runs).
    Iterate it for dicts (id, subjects, predicates, contexts, actors, timestamp, source,
    attributes); a large result is read lazily from a JSON-lines file, one attestation at a time."""

    def __init__(self, spec):
        spec = spec or {}
        self.query = spec.get('query')
        self._items = spec.get('items')
        self._path = spec.get('path')
        self._count = int(spec.get('count') or 0)

    def __len__(self):
        return self._count

    def __bool__(self):
        return self._count > 0

    def __iter__(self):
        if self._path is None:
            return iter(self._items or [])
        return self._lines()

    def _lines(self):
        with open(self._path, 'r', encoding='utf-8') as f:
            for line in f:
                yield json.loads(line)

    def __repr__(self):
        return 'ix.input(query=%r, count=%d)' % (self.query, self._count)


def b32(n):
    """Crockford base32 of n < 2**80, 16 chars."""
    return base64.b32encode(n.to_bytes(10, 'big')).translate(B32_TO_CROCKFORD).decode()


def write_all(fd, data):
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def to_timestamp(ts):
    if ts is None:
        return None
    if isinstance(ts, bool):
        raise TypeError('timestamp must be int milliseconds, a datetime or an ISO 8601 string, got bool')
    if isinstance(ts, int):
        ms = ts
    elif isinstance(ts, datetime.datetime):
        if ts.tzinfo is None:
            ts = ts.replace(tzinfo=datetime.timezone.utc)  # naive datetimes are taken as UTC
        ms = int(ts.timestamp() * 1000)
    elif isinstance(ts, str):
        s = ts.strip()
        if s.endswith(('Z', 'z')):
            s = s[:-1] + '+00:00'
        try:
            d = datetime.datetime.fromisoformat(s)
        except ValueError:
            raise ValueError('timestamp %r is not an ISO 8601 date/time' % (ts,)) from None
        return to_timestamp(d)
    else:
        raise TypeError('timestamp must be int milliseconds, a datetime or an ISO 8601 string, got %s'
                        % type(ts).__name__)
    if not 0 <= ms <= MAX_TIMESTAMP_MS:
        raise ValueError('timestamp must be between 1970 and year 275760 (ms since the epoch)')
    return ms


class Bridge(object):
    """attest() and progress() of one child: validates, makes ASIDs, batches to the protocol pipe."""

    def __init__(self):
        self.rand = random.Random(os.urandom(16))
        self.pid = os.getpid()
        self.lock = threading.Lock()  # threads of the script must not interleave protocol lines
        self.batch = []
        self.batch_bytes = 0
        self.batch_started = 0.0
        self.last_ms = -1
        self.low = 0
        self.prefix = ''
        self.last_progress = 0.0

    def new_id(self):
        # "AS" + ULID: 48-bit ms time and 80 random bits. Within one millisecond the low 25 bits
        # count up, so ids stay sortable by creation; only that tail is encoded per call.
        ms = time.time_ns() // 1000000
        if ms > self.last_ms:
            self.fresh(ms)
        else:
            self.low += 1
            if self.low >> 25:
                self.fresh(self.last_ms + 1)
        low = self.low
        return self.prefix + CROCKFORD[low >> 20] + PAIRS[(low >> 10) & 1023] + PAIRS[low & 1023]

    def fresh(self, ms):
        r = self.rand.getrandbits(80)
        self.last_ms = ms
        self.low = r & 0x1FFFFFF
        self.prefix = 'AS' + b32(ms)[-10:] + b32(r >> 25)[-11:]

    def attest(self, subjects, predicates, contexts, actors=None, attributes=None, timestamp=None):
        """Record an attestation; returns its id. Strings or lists of strings; see the docs."""
        if os.getpid() != self.pid:
            raise RuntimeError('attest() works only in the process of the run, not in a forked one')
        size = [64]
        s = values(subjects, 'subjects', size)
        p = values(predicates, 'predicates', size)
        c = values(contexts, 'contexts', size)
        a = None if actors is None else values(actors, 'actors', size)
        if attributes is not None:
            if not isinstance(attributes, dict):
                raise TypeError('attributes must be a dict, got %s' % type(attributes).__name__)
            try:
                text = ENC.encode(attributes)
            except (TypeError, ValueError, RecursionError) as e:
                raise TypeError('attributes must be JSON-serialisable: %s' % e) from None
            try:
                n = len(text.encode('utf-8'))
            except UnicodeEncodeError:
                raise ValueError('attributes must be valid Unicode (no lone surrogates)') from None
            if n > MAX_ATTRIBUTES_BYTES:
                raise ValueError('attributes must serialise to at most 1 MiB (got %d bytes)' % n)
            if not all(isinstance(k, str) for k in attributes):
                attributes = json.loads(text)  # non-str keys became strings in the JSON
            size[0] += n
        ts = to_timestamp(timestamp)
        aid = self.new_id()
        if not self.batch:
            self.batch_started = time.monotonic()
        self.batch.append([aid, s, p, c, a, attributes, ts])
        self.batch_bytes += size[0]
        if (len(self.batch) >= BATCH_ITEMS or self.batch_bytes >= BATCH_BYTES
                or time.monotonic() - self.batch_started >= BATCH_SECONDS):
            self.flush()
        return aid

    def flush(self, state=None):
        with self.lock:
            items, self.batch, self.batch_bytes = self.batch, [], 0
            if state is not None:
                self.send({'t': 'a', 'items': items, 'state': state})  # a checkpoint: items and state together
            elif items:
                self.send({'t': 'a', 'items': items})

    def send(self, msg):
        write_all(PROTO_FD, (ENC.encode(msg) + '\n').encode('utf-8'))

    def progress(self, current, total=None):
        """Report progress (throttled to one message per 100 ms)."""
        if os.getpid() != self.pid:
            raise RuntimeError('progress() works only in the process of the run, not in a forked one')
        for v, name in ((current, 'current'), (total, 'total')):
            if v is None and name == 'total':
                continue
            if isinstance(v, bool) or not isinstance(v, (int, float)) or v != v or v in (float('inf'), -float('inf')):
                raise TypeError('progress %s must be a finite number' % name)
            if v < 0:
                raise ValueError('progress %s must not be negative' % name)
        now = time.monotonic()
        if now - self.last_progress < PROGRESS_SECONDS and not (total is not None and current >= total):
            return
        self.last_progress = now
        with self.lock:
            self.send({'t': 'p', 'current': current, 'total': total})


def user_line(tb):
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == FILENAME:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def user_traceback(e):
    """The traceback from the first frame of the user's script on, without the runner's frames."""
    te = traceback.TracebackException(type(e), e, e.__traceback__)
    frames = list(te.stack)
    while frames and frames[0].filename != FILENAME:
        frames.pop(0)
    while frames and frames[-1].filename == __file__:
        frames.pop()
    te.stack = traceback.StackSummary.from_list(frames)
    return ''.join(te.format())


def clip(s):
    return s if len(s) <= MAX_ERROR_CHARS else s[:MAX_ERROR_CHARS] + '...'


def describe_exception(e, limits):
    """(error, details) for an exception raised by the user's script."""
    name = type(e).__name__
    line = user_line(e.__traceback__)
    where = [] if line is None else ['line=%d' % line]
    if isinstance(e, MemoryError):
        mib = limits['memoryBytes'] / 1048576.0
        return ('script exceeded the memory limit (%g MiB)' % mib,
                ['exception=%s' % name] + where + ['limit=memory', 'memory_bytes=%d' % limits['memoryBytes']])
    try:
        msg = str(e)
    except Exception:
        msg = ''
    return clip(msg or name), ['exception=%s' % name] + where


def run_script(code, src, ctx, limits, bridge):
    """Runs the compiled script; returns (ok, error, details, state)."""
    ix = Ix(ctx, bridge)
    ns = {'__name__': '__main__', '__builtins__': builtins,
          'attest': bridge.attest, 'progress': bridge.progress, 'ix': ix}
    linecache.cache[FILENAME] = (len(src), None, src.splitlines(True), FILENAME)
    reserve = bytearray(1 << 20)  # freed on MemoryError so that reporting it has room
    try:
        exec(code, ns)
    except SystemExit as e:
        del reserve
        c = e.code
        if c is None or c == 0:
            return finish_state(ix)
        if isinstance(c, int):
            return False, 'script exited with status %d' % c, ['exit_code=%d' % c], None
        sys.stderr.write('%s\n' % (c,))
        return False, clip(str(c)), ['exit_code=1'], None
    except BaseException as e:
        del reserve
        if isinstance(e, MemoryError):
            ns.clear()  # what filled the memory is likely reachable from the script's globals...
            ix.state = None
        error, details = describe_exception(e, limits)
        try:
            text = user_traceback(e)
        except BaseException:
            text = ''
        traceback.clear_frames(e.__traceback__)  # ...or from the locals of its functions
        e = None
        gc.collect()
        try:
            sys.stderr.write(text)
        except BaseException:
            pass
        return False, error, details, None
    del reserve
    return finish_state(ix)


def finish_state(ix):
    state = ix.state
    if not isinstance(state, dict):
        return False, 'ix.state must be a dict, got %s' % type(state).__name__, ['exception=TypeError', 'state=invalid'], None
    try:
        text = ENC.encode(state)
        size = len(text.encode('utf-8'))
    except (TypeError, ValueError, RecursionError, UnicodeEncodeError) as e:
        return False, clip('ix.state is not JSON-serialisable: %s' % e), ['exception=TypeError', 'state=invalid'], None
    if size > MAX_STATE_BYTES:
        return False, 'ix.state is too large (%d bytes, at most %d)' % (size, MAX_STATE_BYTES), ['state=too_large'], None
    return True, None, [], json.loads(text) if not all(isinstance(k, str) for k in state) else state


def setup_fds(out_w, err_w, proto_w):
    # fd 0 of the parent is already /dev/null. Everything else (Node's channel, other runs' pipes,
    # the parent's selector) is closed so user code cannot write to it.
    os.dup2(out_w, 1)
    os.dup2(err_w, 2)
    if proto_w != PROTO_FD:
        os.dup2(proto_w, PROTO_FD)
    for name in os.listdir('/proc/self/fd'):
        fd = int(name)
        if fd > PROTO_FD:
            try:
                os.close(fd)
            except OSError:
                pass
    os.set_inheritable(PROTO_FD, False)  # subprocesses of the script do not get the protocol pipe


def drop_privileges(uid, gid):
    """Root only: become uid/gid so RLIMIT_NPROC binds, keeping root's read access (imports)."""
    prctl(PR_SET_KEEPCAPS, 1)
    os.setgroups([])
    os.setgid(gid)
    os.setuid(uid)
    if LIBC is not None:
        class Header(ctypes.Structure):
            _fields_ = [('version', ctypes.c_uint32), ('pid', ctypes.c_int)]

        class Data(ctypes.Structure):
            _fields_ = [('effective', ctypes.c_uint32), ('permitted', ctypes.c_uint32),
                        ('inheritable', ctypes.c_uint32)]
        data = (Data * 2)()
        bit = 1 << CAP_DAC_READ_SEARCH
        data[0].effective = data[0].permitted = data[0].inheritable = bit
        if LIBC.capset(ctypes.byref(Header(0x20080522, 0)), data) == 0:
            # ambient: programs the script runs keep the same read access
            prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_DAC_READ_SEARCH)


def child_main(run, cfg, parent_pid):
    """Never returns. Runs in the forked child."""
    try:
        os.setsid()
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        setup_fds(run.out_w, run.err_w, run.proto_w)
        lim = run.limits
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        resource.setrlimit(resource.RLIMIT_CPU, (lim['cpuSeconds'], lim['cpuSeconds'] + 1))
        resource.setrlimit(resource.RLIMIT_FSIZE, (cfg['maxFileBytes'], cfg['maxFileBytes']))
        if run.nproc is not None:
            resource.setrlimit(resource.RLIMIT_NPROC, (run.nproc, run.nproc))
        if run.uid is not None:
            drop_privileges(run.uid, cfg['sandbox']['gid'])
        prctl(PR_SET_NO_NEW_PRIVS, 1)
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # after setuid, which clears it
        if os.getppid() != parent_pid:
            os._exit(71)
        resource.setrlimit(resource.RLIMIT_AS, (lim['memoryBytes'], lim['memoryBytes']))
        sys.stdin = sys.__stdin__ = io.TextIOWrapper(io.FileIO(0, 'r', closefd=False))
        sys.stdout = sys.__stdout__ = io.TextIOWrapper(io.FileIO(1, 'w', closefd=False), encoding='utf-8',
                                                       errors='backslashreplace', line_buffering=True)
        sys.stderr = sys.__stderr__ = io.TextIOWrapper(io.FileIO(2, 'w', closefd=False), encoding='utf-8',
                                                       errors='backslashreplace', line_buffering=True)
        code, src, ctx = run.code, run.src, run.ctx
        run = None  # drop the parent's references to other runs (namespaces never leak between runs)
        SERVER.forget_for_child()
        gc.enable()
    except BaseException as e:
        try:
            os.write(2, ('qntx runner: could not set up the run: %r\n' % (e,)).encode())
        finally:
            os._exit(70)
    bridge = Bridge()
    try:
        ok, error, details, state = run_script(code, src, ctx, lim, bridge)
    except BaseException as e:  # raised by the runner itself, e.g. MemoryError encoding the state
        ok, error, details, state = False, clip('runner error: %r' % (e,)), ['exception=%s' % type(e).__name__], None
    if os.getpid() != bridge.pid:
        os._exit(0)  # a process the script forked fell off the end of the script: it reports nothing
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:
            pass
    try:
        bridge.lock.acquire(timeout=1.0)
        bridge.send({'t': 'r', 'ok': ok, 'error': error, 'details': details, 'state': state, 'items': bridge.batch})
    except BaseException:
        os._exit(72)
    os._exit(0)


# ---------------------------------------------------------------------------------------------
# The parent: reads commands from Node, forks runs, reads and caps their output, validates what
# they send, enforces the wall-clock timeout and kills each run's processes.

def compile_user(src):
    """(code, None) or (None, (error, details))."""
    try:
        return compile(src, FILENAME, 'exec', dont_inherit=True), None
    except SyntaxError as e:
        details = ['exception=%s' % type(e).__name__]
        if e.lineno:
            details.append('line=%d' % e.lineno)
        return None, (clip(e.msg or 'invalid syntax'), details)
    except (ValueError, MemoryError, RecursionError, OverflowError) as e:
        return None, (clip(str(e) or type(e).__name__), ['exception=%s' % type(e).__name__])


def decode_capped(buf, truncated):
    # A cut at the cap may split a UTF-8 sequence: drop that incomplete tail rather than show junk.
    data = bytes(buf)
    if truncated:
        for cut in (0, 1, 2, 3):
            try:
                return data[:len(data) - cut].decode('utf-8')
            except UnicodeDecodeError:
                pass
    return data.decode('utf-8', 'replace')


class Run(object):
    def __init__(self, rid, src, code, ctx, limits):
        self.id = rid
        self.src = src
        self.code = code
        self.ctx = ctx
        self.limits = limits
        self.pid = None
        self.out_w = self.err_w = self.proto_w = None  # write ends, open only until the fork
        self.slot = None
        self.uid = None
        self.nproc = None
        self.deadline = None
        self.out = {'stdout': bytearray(), 'stderr': bytearray()}
        self.truncated = {'stdout': False, 'stderr': False}
        self.proto_buf = bytearray()
        self.fds = {}  # read fd -> 'stdout' | 'stderr' | 'proto'
        self.unacked = 0
        self.paused = False
        self.discard_proto = False
        self.result = None
        self.reason = None  # why the parent killed it: timeout, cancelled, protocol
        self.violation = None
        self.status = None  # exit code, negative = signal
        self.cpu = 0.0
        self.last_progress = 0.0


class Server(object):
    def __init__(self, cfg):
        self.cfg = cfg
        self.pid = os.getpid()
        self.cmd_in = os.dup(0)
        self.out = os.dup(1)
        devnull = os.open(os.devnull, os.O_RDWR)
        os.dup2(devnull, 0)
        os.dup2(devnull, 1)  # stray prints in the parent must not reach Node's channel
        os.close(devnull)
        sys.stdout = sys.stderr
        self.cmd_buf = bytearray()
        self.runs = {}
        self.by_pid = {}
        self.free_slots = list(range(cfg['slots']))
        self.sel = selectors.DefaultSelector()
        self.sel.register(self.cmd_in, selectors.EVENT_READ, ('cmd', None))
        self.wake_r, self.wake_w = os.pipe()
        os.set_blocking(self.wake_r, False)
        os.set_blocking(self.wake_w, False)
        self.sel.register(self.wake_r, selectors.EVENT_READ, ('wake', None))
        signal.signal(signal.SIGCHLD, lambda *_: None)
        signal.set_wakeup_fd(self.wake_w, warn_on_full_buffer=False)
        self.subreaper = prctl(PR_SET_CHILD_SUBREAPER, 1) == 0
        self.sandbox = cfg.get('sandbox') if os.geteuid() == 0 else None
        self.uid_base = None
        if self.sandbox:
            self.uid_base = self.claim_uid_block()
            for slot in range(cfg['slots'] + 1):
                self.kill_uid(self.uid_base + slot)  # leftovers of a parent that died
        self.user_procs = (0, -10.0)  # (count, when) for RLIMIT_NPROC when not root
        self.children_path = '/proc/self/task/%d/children' % self.pid

    def claim_uid_block(self):
        # Several warm parents may share a machine (two servers, parallel tests): each takes a
        # block of UID_BLOCK uids, held by a lock for its lifetime, so that killing by uid never
        # reaches another parent's runs.
        import fcntl
        import tempfile
        base = self.sandbox['uidBase']
        for k in range(64):
            uid = base + k * UID_BLOCK
            fd = os.open(os.path.join(tempfile.gettempdir(), 'qntx-runner-uid-%d.lock' % uid),
                         os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                continue
            self.uid_lock = fd
            return uid
        raise RuntimeError('no free block of sandbox uids')

    def send(self, msg):
        write_all(self.out, (ENC.encode(msg) + '\n').encode('utf-8'))

    def forget_for_child(self):
        self.runs = self.by_pid = None
        self.cmd_buf = None

    # -- commands from Node -------------------------------------------------------------------
    def on_command_data(self):
        data = os.read(self.cmd_in, 1 << 20)
        if not data:
            raise SystemExit(0)  # Node went away
        self.cmd_buf += data
        while True:
            i = self.cmd_buf.find(b'\n')
            if i < 0:
                break
            line = bytes(self.cmd_buf[:i])
            del self.cmd_buf[:i + 1]
            try:
                self.on_command(json.loads(line))
            except Exception:
                sys.stderr.write('qntx runner: bad command: %s\n' % traceback.format_exc())

    def on_command(self, msg):
        op = msg.get('op')
        rid = msg.get('id')
        if op == 'run':
            self.start(rid, msg['code'], msg.get('ctx') or {}, msg['limits'])
        elif op == 'check':
            _, err = compile_user(msg['code'])
            self.send({'t': 'checked', 'id': rid, 'ok': err is None,
                       'error': err and err[0], 'details': err[1] if err else []})
        elif op == 'cancel':
            run = self.runs.get(rid)
            if run is not None:
                self.kill(run, 'cancelled')
        elif op == 'ack':
            run = self.runs.get(rid)
            if run is not None:
                run.unacked -= 1
                self.maybe_resume(run)

    # -- starting a run -----------------------------------------------------------------------
    def fail_early(self, rid, error, details):
        self.send({'t': 'done', 'id': rid, 'success': False, 'stdout': '', 'stderr': '',
                   'stdoutTruncated': False, 'stderrTruncated': False, 'error': error,
                   'details': details, 'state': None, 'pending': []})

    def start(self, rid, src, ctx, limits):
        code, err = compile_user(src)
        if err is not None:
            self.fail_early(rid, err[0], err[1])
            return
        run = Run(rid, src, code, ctx, limits)
        try:
            self.fork(run)
        except OSError as e:  # out of processes, memory or file descriptors
            for fd in list(run.fds) + [run.out_w, run.err_w, run.proto_w]:
                try:
                    os.close(fd)
                except (OSError, TypeError):
                    pass
            self.release_slot(run)
            self.fail_early(rid, 'could not start the run: %s' % e, ['runner=fork_failed'])

    def release_slot(self, run):
        if run.slot is not None and run.slot < self.cfg['slots']:
            self.free_slots.append(run.slot)
            self.free_slots.sort()
        run.slot = None

    def fork(self, run):
        run.slot = self.free_slots.pop(0) if self.free_slots else self.cfg['slots']
        if self.sandbox:
            run.uid = self.uid_base + run.slot
            run.nproc = self.sandbox['maxProcesses']
        elif self.cfg['maxProcesses'] and os.geteuid() != 0:  # root ignores RLIMIT_NPROC
            run.nproc = self.count_user_processes() + self.cfg['maxProcesses']
        out_r, run.out_w = os.pipe()
        run.fds[out_r] = 'stdout'
        err_r, run.err_w = os.pipe()
        run.fds[err_r] = 'stderr'
        proto_r, run.proto_w = os.pipe()
        run.fds[proto_r] = 'proto'
        pid = os.fork()
        if pid == 0:
            child_main(run, self.cfg, self.pid)
        for w in (run.out_w, run.err_w, run.proto_w):
            os.close(w)
        run.out_w = run.err_w = run.proto_w = None
        run.pid = pid
        run.deadline = time.monotonic() + run.limits['timeoutMs'] / 1000.0
        for fd in run.fds:
            os.set_blocking(fd, False)
            self.sel.register(fd, selectors.EVENT_READ, ('run', run))
        self.runs[run.id] = run
        self.by_pid[pid] = run
        self.send({'t': 'started', 'id': run.id, 'pid': pid})

    def count_user_processes(self):
        count, when = self.user_procs
        now = time.monotonic()
        if now - when > 2.0:
            uid = os.getuid()
            count = 0
            for name in os.listdir('/proc'):
                if name.isdigit():
                    try:
                        if os.stat('/proc/' + name).st_uid == uid:
                            count += 1
                    except OSError:
                        pass
            self.user_procs = (count, now)
        return count

    # -- reading a run's pipes ----------------------------------------------------------------
    def on_run_data(self, run, fd):
        name = run.fds.get(fd)
        if name is None:
            return
        try:
            data = os.read(fd, READ_SIZE)
        except BlockingIOError:
            return
        except OSError:
            data = b''
        if not data:
            self.close_fd(run, fd)
            return
        if name == 'proto':
            if not run.discard_proto:
                run.proto_buf += data
                self.on_proto_data(run)
            return
        buf = run.out[name]
        room = run.limits['outputCapBytes'] - len(buf)
        if len(data) > room:
            run.truncated[name] = True  # excess dropped; the pipe is still drained
            data = data[:max(room, 0)]
        buf += data

    def close_fd(self, run, fd):
        if fd in run.fds:
            del run.fds[fd]
            try:
                self.sel.unregister(fd)
            except (KeyError, ValueError):
                pass
            os.close(fd)
        self.maybe_done(run)

    def proto_fd(self, run):
        for fd, name in run.fds.items():
            if name == 'proto':
                return fd
        return None

    def on_proto_data(self, run):
        buf = run.proto_buf
        while not run.discard_proto:
            i = buf.find(b'\n')
            if i < 0:
                if len(buf) > MAX_CHILD_LINE:
                    self.violate(run, 'message longer than %d bytes' % MAX_CHILD_LINE)
                break
            line = bytes(buf[:i])
            del buf[:i + 1]
            try:
                self.on_child_message(run, json.loads(line))
            except (ValueError, TypeError, KeyError, RecursionError, UnicodeError) as e:
                self.violate(run, str(e)[:200])
        if run.unacked >= WINDOW and not run.paused:
            fd = self.proto_fd(run)
            if fd is not None:
                self.sel.unregister(fd)
                run.paused = True

    def maybe_resume(self, run):
        if run.paused and run.unacked < WINDOW:
            fd = self.proto_fd(run)
            run.paused = False
            if fd is not None:
                self.sel.register(fd, selectors.EVENT_READ, ('run', run))

    def on_child_message(self, run, msg):
        if not isinstance(msg, dict):
            raise ValueError('message is not an object')
        t = msg.get('t')
        if t == 'a':
            items, state = msg['items'], msg.get('state')
            self.check_items(items)
            if state is not None and not isinstance(state, dict):
                raise ValueError('bad checkpoint state')
            if items or state is not None:
                out = {'t': 'batch', 'id': run.id, 'items': items}
                if state is not None:
                    out['state'] = state
                line = ENC.encode(out)
                write_all(self.out, (line + '\n').encode('utf-8'))
                run.unacked += 1
        elif t == 'p':
            cur, total = msg['current'], msg.get('total')
            for v in (cur, total):
                if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float)) or v != v or abs(v) == float('inf')):
                    raise ValueError('progress must be numbers')
            if cur is None:
                raise ValueError('progress current missing')
            now = time.monotonic()
            if now - run.last_progress >= 0.05 or (total is not None and cur >= total):
                run.last_progress = now
                self.send({'t': 'progress', 'id': run.id, 'current': cur, 'total': total})
        elif t == 'r':
            if run.result is not None:
                raise ValueError('second result')
            ok, state, error, details, items = msg['ok'], msg.get('state'), msg.get('error'), msg.get('details'), msg['items']
            if not isinstance(ok, bool) or not isinstance(details, list) or len(details) > 20 \
                    or not all(isinstance(d, str) and len(d) <= 200 for d in details):
                raise ValueError('bad result')
            if ok and not isinstance(state, dict):
                raise ValueError('bad state')
            if not ok and not isinstance(error, str):
                raise ValueError('bad error')
            self.check_items(items)
            run.result = {'success': ok, 'error': None if ok else clip(error), 'details': details,
                          'state': state if ok else None, 'pending': items}
        else:
            raise ValueError('unknown message type')

    def check_items(self, items):
        if not isinstance(items, list) or len(items) > MAX_ITEMS_PER_BATCH:
            raise ValueError('items must be a list of at most %d' % MAX_ITEMS_PER_BATCH)
        for item in items:
            check_item(item)

    def violate(self, run, why):
        if run.violation is None:
            run.violation = why
        self.kill(run, 'protocol')

    # -- ending a run -------------------------------------------------------------------------
    def kill(self, run, reason):
        # A protocol violation found while draining after the exit still decides the outcome.
        if run.reason is None and (run.status is None or reason == 'protocol'):
            run.reason = reason
        if reason in ('cancelled', 'protocol'):
            run.discard_proto = True
            run.proto_buf = bytearray()
            fd = self.proto_fd(run)
            if fd is not None:
                if run.paused:
                    run.paused = False
                    self.sel.register(fd, selectors.EVENT_READ, ('run', run))  # drain and drop
        if run.status is None:
            try:
                os.killpg(run.pid, signal.SIGKILL)
            except OSError:
                pass
            try:
                os.kill(run.pid, signal.SIGKILL)  # before setsid() the group does not exist yet
            except OSError:
                pass

    def on_sigchld(self):
        try:
            while os.read(self.wake_r, 512):
                pass
        except BlockingIOError:
            pass
        for pid, run in list(self.by_pid.items()):
            try:
                info = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
            except ChildProcessError:
                info = None
            if info is not None:
                self.on_exit(run)
        self.reap_orphans()

    def on_exit(self, run):
        pid = run.pid
        try:
            os.killpg(pid, signal.SIGKILL)  # the zombie keeps the group id from being reused
        except OSError:
            pass
        _, status, usage = os.wait4(pid, 0)
        run.status = os.waitstatus_to_exitcode(status)
        run.cpu = usage.ru_utime + usage.ru_stime
        del self.by_pid[pid]
        self.kill_group(pid)
        self.sweep(run)
        self.release_slot(run)
        self.maybe_done(run)

    def kill_group(self, pgid):
        deadline = time.monotonic() + 2.0
        while True:
            try:
                os.killpg(pgid, signal.SIGKILL)
            except ProcessLookupError:
                return
            except OSError:
                return
            self.reap_orphans()
            if time.monotonic() > deadline:
                sys.stderr.write('qntx runner: process group %d did not die\n' % pgid)
                return
            time.sleep(0.0005)

    def children(self):
        try:
            with open(self.children_path) as f:
                return [int(x) for x in f.read().split()]
        except OSError:
            return []

    def orphans(self):
        known = self.by_pid
        return [p for p in self.children() if p not in known]

    def reap_orphans(self):
        for p in self.orphans():
            try:
                os.waitpid(p, os.WNOHANG)
            except ChildProcessError:
                pass

    def sweep(self, run):
        """Kills what escaped the group (setsid() in the script): it was reparented to us."""
        deadline = time.monotonic() + 2.0
        while True:
            orphans = self.orphans()
            if run.uid is not None:
                orphans = [p for p in orphans if proc_uid(p) == run.uid]
            if not orphans:
                return
            if run.uid is not None:
                self.kill_uid(run.uid)
            else:
                for p in orphans:
                    try:
                        os.kill(p, signal.SIGKILL)
                    except OSError:
                        pass
            for p in orphans:
                try:
                    os.waitpid(p, os.WNOHANG)
                except ChildProcessError:
                    pass
            if time.monotonic() > deadline:
                sys.stderr.write('qntx runner: could not kill %d escaped processes\n' % len(orphans))
                return
            time.sleep(0.0005)

    def kill_uid(self, uid):
        # kill(-1) as that uid reaches every process of the run's uid, whatever group or session.
        pid = os.fork()
        if pid == 0:
            try:
                os.setgid(self.sandbox['gid'])
                os.setuid(uid)
                os.kill(-1, signal.SIGKILL)
            finally:
                os._exit(0)
        os.waitpid(pid, 0)

    def maybe_done(self, run):
        if run.status is None or run.fds or self.runs.get(run.id) is not run:
            return
        del self.runs[run.id]
        msg = {'t': 'done', 'id': run.id, 'stdout': decode_capped(run.out['stdout'], run.truncated['stdout']),
               'stderr': decode_capped(run.out['stderr'], run.truncated['stderr']),
               'stdoutTruncated': run.truncated['stdout'],
               'stderrTruncated': run.truncated['stderr'], 'state': None, 'pending': []}
        msg.update(self.outcome(run))
        self.send(msg)

    def outcome(self, run):
        lim = run.limits
        if run.reason == 'timeout':
            return {'success': False, 'error': 'script exceeded the time limit (%d ms)' % lim['timeoutMs'],
                    'details': ['limit=timeout', 'timeout_ms=%d' % lim['timeoutMs']]}
        if run.reason == 'cancelled':
            return {'success': False, 'error': 'run cancelled', 'details': ['cancelled=true']}
        if run.reason == 'protocol':
            return {'success': False, 'error': 'script wrote invalid data to the runner protocol channel',
                    'details': ['protocol=%s' % (run.violation or 'invalid')]}
        if run.result is not None:
            return run.result
        st = run.status
        if st == -signal.SIGXCPU or (st == -signal.SIGKILL and run.cpu >= lim['cpuSeconds']):
            return {'success': False, 'error': 'script exceeded the CPU limit (%d s)' % lim['cpuSeconds'],
                    'details': ['limit=cpu', 'cpu_seconds=%d' % lim['cpuSeconds']]}
        if st is not None and st < 0:
            try:
                name = signal.Signals(-st).name
            except ValueError:
                name = str(-st)
            return {'success': False, 'error': 'script killed by signal %s' % name, 'details': ['signal=%s' % name]}
        return {'success': False, 'error': 'script exited with code %s before finishing' % st,
                'details': ['exit_code=%s' % st]}

    def check_timeouts(self):
        now = time.monotonic()
        nxt = None
        for run in list(self.runs.values()):
            if run.status is None and run.reason is None:
                if now >= run.deadline:
                    self.kill(run, 'timeout')
                elif nxt is None or run.deadline < nxt:
                    nxt = run.deadline
        return None if nxt is None else max(0.0, nxt - now)

    def loop(self):
        self.send({'t': 'ready', 'pid': self.pid, 'executable': sys.executable,
                   'version': list(sys.version_info[:3]), 'sandbox': bool(self.sandbox), 'uidBase': self.uid_base,
                   'subreaper': self.subreaper})
        while True:
            timeout = self.check_timeouts()
            for key, _ in self.sel.select(timeout):
                kind, run = key.data
                if kind == 'cmd':
                    self.on_command_data()
                elif kind == 'wake':
                    self.on_sigchld()
                else:
                    try:
                        self.on_run_data(run, key.fd)
                    except (BrokenPipeError, SystemExit):
                        raise
                    except Exception:
                        sys.stderr.write('qntx runner: %s\n' % traceback.format_exc())
                        self.violate(run, 'internal')

    def shutdown(self):
        for run in list(self.by_pid.values()):
            try:
                os.killpg(run.pid, signal.SIGKILL)
            except OSError:
                pass
            if run.uid is not None:
                try:
                    self.kill_uid(run.uid)
                except OSError:
                    pass


def proc_uid(pid):
    try:
        with open('/proc/%d/status' % pid) as f:
            for line in f:
                if line.startswith('Uid:'):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return None


SERVER = None


def main():
    global SERVER
    cfg = {'slots': 4, 'sandbox': None, 'maxFileBytes': 128 << 20, 'maxProcesses': 0}
    if len(sys.argv) > 1:
        cfg.update(json.loads(sys.argv[1]))
    cfg['slots'] = max(1, min(int(cfg['slots']), UID_BLOCK - 1))
    for name in PRELOAD:
        try:
            __import__(name)
        except Exception:
            pass
    SERVER = Server(cfg)
    gc.collect()
    if hasattr(gc, 'freeze'):
        gc.freeze()  # keeps the children's garbage collector off the parent's objects (fewer copied pages)
    try:
        SERVER.loop()
    except (SystemExit, BrokenPipeError, KeyboardInterrupt):
        pass
    finally:
        SERVER.shutdown()


if __name__ == '__main__':
    main()
