"""The forked child of one run: closes what is not its own, contains itself (sandbox), executes
the script in a fresh namespace and reports the result on fd 3. Never returns."""
import gc
import io
import linecache
import marshal
import mmap
import os
import pickle
import signal
import struct
import sys
import traceback

from qntx_runner import bridge as bridge_mod
from qntx_runner import limits, rundirs, sandbox
from qntx_runner.protocol import ENC, clip

FILENAME = '<handler>'
PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def setup_fds(out_w, err_w, proto_w, input_fd):
    # fd 0 of the parent is already /dev/null. Everything else (Node's channel, other runs' pipes,
    # the parent's selector, its descriptors of covered directories) is closed so user code cannot
    # use it; an `so` input file opened for the run becomes INPUT_FD.
    os.dup2(out_w, 1)
    os.dup2(err_w, 2)
    if proto_w != bridge_mod.PROTO_FD:
        os.dup2(proto_w, bridge_mod.PROTO_FD)
    keep = bridge_mod.PROTO_FD
    if input_fd is not None:
        os.dup2(input_fd, bridge_mod.INPUT_FD, inheritable=False)
        keep = bridge_mod.INPUT_FD
    for name in os.listdir('/proc/self/fd'):
        fd = int(name)
        if fd > keep:
            try:
                os.close(fd)
            except OSError:
                pass
    os.set_inheritable(bridge_mod.PROTO_FD, False)  # subprocesses of the script do not get the protocol pipe


def needs_input(ctx):
    spec = ctx.get('input')
    return isinstance(spec, dict) and bool(spec.get('path'))


def open_input(ctx, iso):
    """The `so` input file, opened before the run loses the right to (its directory is covered and
    0700): the run reads it from INPUT_FD."""
    spec = ctx.get('input')
    if not isinstance(spec, dict) or not spec.get('path'):
        return None
    fd = iso.open_input(spec.pop('path'))
    spec['fd'] = bridge_mod.INPUT_FD
    return fd


def set_streams():
    sys.stdin = sys.__stdin__ = io.TextIOWrapper(io.FileIO(0, 'r', closefd=False))
    sys.stdout = sys.__stdout__ = io.TextIOWrapper(io.FileIO(1, 'w', closefd=False), encoding='utf-8',
                                                   errors='backslashreplace', line_buffering=True)
    sys.stderr = sys.__stderr__ = io.TextIOWrapper(io.FileIO(2, 'w', closefd=False), encoding='utf-8',
                                                   errors='backslashreplace', line_buffering=True)


def withhold_secrets(ctx, iso_mode, iso_reason, err_fd):
    if iso_mode is None and ctx.get('secrets'):
        # Not isolated, a run could read the server's key and database: it gets no secret.
        ctx['secrets'] = {}
        os.write(err_fd, ('qntx runner: secrets withheld: runs are not isolated (%s)\n' % iso_reason).encode())


def child_main(run, server):
    """Runs in the forked child."""
    try:
        os.setsid()
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        withhold_secrets(run.ctx, server.iso.mode, server.iso.reason, run.err_w)
        input_fd = open_input(run.ctx, server.iso)
        setup_fds(run.out_w, run.err_w, run.proto_w, input_fd)
        if run.uid is None and server.iso.mode is not None:
            server.iso.private_run_dir(server.runs_root, run.dir)  # runs share a uid: hide the others'
        lim = run.limits
        sandbox.contain(lim, server.cfg['maxFileBytes'], run.nproc, run.uid, server.gid, server.pid)
        rundirs.enter_environment(run.env)
        set_streams()
        code, src, ctx = run.code, run.src, run.ctx
        run = None  # drop the parent's references to other runs (namespaces never leak between runs)
        server.forget_for_child()
        server = None
        gc.enable()
    except BaseException as e:
        setup_failed(e)
    finish(code, src, ctx, lim)


def spare_main(run, cmd_r, server):
    """Runs in a child forked before its run (forkserver.make_spare): contains itself as far as it
    can without the run, then waits for the run on cmd_r and sets the run's own limits."""
    try:
        os.setsid()
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        setup_fds(run.out_w, run.err_w, run.proto_w, cmd_r)  # the pipe of the run becomes INPUT_FD
        if run.uid is None and server.iso.mode is not None:
            server.iso.private_run_dir(server.runs_root, run.dir)  # runs share a uid: hide the others'
        file_bytes = server.cfg['maxFileBytes']
        iso_mode, iso_reason = server.iso.mode, server.iso.reason
        sandbox.contain_process(run.nproc, run.uid, server.gid, server.pid)
        rundirs.enter_environment(run.env)
        set_streams()
        run = None
        server.forget_for_child()
        server = None
        code, src, ctx, lim = read_run(bridge_mod.INPUT_FD)
        os.close(bridge_mod.INPUT_FD)
        sandbox.limit_run(lim, file_bytes)
        withhold_secrets(ctx, iso_mode, iso_reason, 2)
        gc.enable()
    except BaseException as e:
        setup_failed(e)
    finish(code, src, ctx, lim)


def read_run(fd):
    """(code, src, ctx, limits) as the parent wrote them: a 4-byte length, then a pickle (the
    parent is trusted; nothing of the run's has run yet). End of file first: the parent discarded
    this process; it leaves quietly."""
    def exactly(n):
        buf = bytearray()
        while len(buf) < n:
            data = os.read(fd, n - len(buf))
            if not data:
                os._exit(0)
            buf += data
        return bytes(buf)
    size, = struct.unpack('>I', exactly(4))
    code, src, ctx, lim = pickle.loads(exactly(size))
    return marshal.loads(code), src, ctx, lim


def setup_failed(e):
    try:
        os.write(2, ('qntx runner: could not set up the run: %r\n' % (e,)).encode())
    finally:
        os._exit(70)


def finish(code, src, ctx, lim):
    """The script, then its result on the protocol pipe; never returns."""
    bridge = bridge_mod.Bridge()
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
        bridge.result(ok, error, details, state)
    except BaseException:
        os._exit(72)
    os._exit(0)


def run_script(code, src, ctx, lim, bridge):
    """Runs the compiled script; returns (ok, error, details, state)."""
    ns, ix = bridge_mod.namespace(ctx, bridge)
    linecache.cache[FILENAME] = (len(src), None, src.splitlines(True), FILENAME)
    # 1 MiB of address space, freed on MemoryError so that reporting it has room. RLIMIT_AS counts
    # a mapping whether or not it is touched: an untouched private one costs a run no page faults
    # (a bytearray is zero-filled: ~0.5 ms a run on the 2-core VM).
    reserve = mmap.mmap(-1, 1 << 20, flags=mmap.MAP_PRIVATE)
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
        error, details = describe_exception(e, lim)
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
    ok, error, details, state = limits.state_text(ix.state, ENC.encode)
    return ok, None if error is None else clip(error), details, state


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
    while frames and frames[-1].filename.startswith(PACKAGE_DIR):
        frames.pop()
    te.stack = traceback.StackSummary.from_list(frames)
    return ''.join(te.format())


def describe_exception(e, lim):
    """(error, details) for an exception raised by the user's script."""
    name = type(e).__name__
    line = user_line(e.__traceback__)
    where = [] if line is None else ['line=%d' % line]
    if isinstance(e, MemoryError):
        mib = lim['memoryBytes'] / 1048576.0
        return ('script exceeded the memory limit (%g MiB)' % mib,
                ['exception=%s' % name] + where + ['limit=memory', 'memory_bytes=%d' % lim['memoryBytes']])
    try:
        msg = str(e)
    except Exception:
        msg = ''
    return clip(msg or name), ['exception=%s' % name] + where


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
