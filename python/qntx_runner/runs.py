"""The parent's record of one run, and the `done` message that reports how it ended."""
import signal


class Run(object):
    def __init__(self, rid, src, code, ctx, limits):
        self.id = rid
        self.src = src
        self.code = code
        self.ctx = ctx
        self.limits = limits
        self.pid = None
        self.out_w = self.err_w = self.proto_w = None  # write ends, open only until the fork
        self.cmd_w = None  # a prepared process's pipe: its run is written there (forkserver.make_spare)
        self.slot = None
        self.uid = None
        self.nproc = None
        self.dir = None  # private directory: HOME and TMPDIR of the run
        self.env = None
        self.deadline = None
        self.out = {'stdout': bytearray(), 'stderr': bytearray()}
        self.truncated = {'stdout': False, 'stderr': False}
        self.proto = None  # protocol.Lines of fd 3
        self.fds = {}  # read fd -> 'stdout' | 'stderr' | 'proto'
        self.unacked = 0
        self.paused = False
        self.discard_proto = False
        self.result = None
        self.reason = None  # why the parent killed it: timeout, disk, cancelled, protocol
        self.violation = None
        self.status = None  # exit code, negative = signal
        self.cpu = 0.0
        self.last_progress = 0.0

    def keep_output(self, name, data):
        """Keeps up to the cap of stdout/stderr; the excess is dropped (the pipe is still drained)."""
        buf = self.out[name]
        room = self.limits['outputCapBytes'] - len(buf)
        if len(data) > room:
            self.truncated[name] = True
            data = data[:max(room, 0)]
        buf += data


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


def failure(rid, error, details):
    """A `done` for a run that never started."""
    return {'t': 'done', 'id': rid, 'success': False, 'stdout': '', 'stderr': '',
            'stdoutTruncated': False, 'stderrTruncated': False, 'error': error,
            'details': details, 'state': None, 'pending': []}


def done_message(run):
    msg = {'t': 'done', 'id': run.id, 'stdout': decode_capped(run.out['stdout'], run.truncated['stdout']),
           'stderr': decode_capped(run.out['stderr'], run.truncated['stderr']),
           'stdoutTruncated': run.truncated['stdout'],
           'stderrTruncated': run.truncated['stderr'], 'state': None, 'pending': []}
    msg.update(outcome(run))
    return msg


def outcome(run):
    lim = run.limits
    if run.reason == 'timeout':
        return {'success': False, 'error': 'script exceeded the time limit (%d ms)' % lim['timeoutMs'],
                'details': ['limit=timeout', 'timeout_ms=%d' % lim['timeoutMs']]}
    if run.reason == 'disk':
        return {'success': False, 'error': 'script exceeded the disk limit (%g MiB)' % (lim['diskBytes'] / 1048576.0),
                'details': ['limit=disk', 'disk_bytes=%d' % lim['diskBytes']]}
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
