"""What a handler script sees: `attest()`, `progress()` and `ix`, built fresh for each run.
This is the one place where the script's namespace is defined: add new names here."""
import base64
import builtins
import datetime
import json
import os
import random
import threading
import time

from qntx_runner import limits, timestamps
from qntx_runner.protocol import ENC, write_all

PROTO_FD = 3  # in the child: the protocol pipe to the parent (0 = /dev/null, 1/2 = output pipes)
INPUT_FD = 4  # in the child: an `so` input file, opened for the run (the run may not open it)
BATCH_ITEMS = 1000
BATCH_BYTES = 1 << 20
BATCH_SECONDS = 0.1
PROGRESS_SECONDS = 0.1
CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'
B32_TO_CROCKFORD = bytes.maketrans(b'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', CROCKFORD.encode())
PAIRS = [a + b for a in CROCKFORD for b in CROCKFORD]


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
        hook = ctx.get('hook')
        # A webhook delivery: ix.input is its body (parsed JSON, or the text), ix.headers the
        # headers it kept; otherwise ix.input is what an `ax ... so` query found.
        self.input = hook.get('body') if hook else AxInput(ctx.get('input'))
        self.headers = dict(hook.get('headers') or {}) if hook else {}
        # The secrets granted to this type (qntx secrets grant NAME <type>); redacted from output.
        self.secrets = dict(ctx.get('secrets') or {})

    def checkpoint(self, state=None):
        """Commit what was attested so far together with `state` (default: ix.state), in one
        transaction: a run that fails later is retried from here. Returns nothing."""
        if state is not None:
            self.state = state
        ok, error, details, saved = limits.state_text(self.state, ENC.encode)
        if not ok:
            raise (ValueError if 'state=too_large' in details else TypeError)(error)
        if self._bridge is None:
            raise RuntimeError('ix.checkpoint() works only inside a run')
        self._bridge.flush(state=saved)

    def __repr__(self):
        # Never the secrets' values: only their names.
        return 'ix(script_type=%r, args=%r, flags=%r, last_run=%r, secrets=%r)' % (
            self.script_type, self.args, self.flags, self.last_run, sorted(self.secrets))


class AxInput(object):
    """ix.input: the attestations an `ax ... so <type>` query found (empty for plain ix runs).
    Iterate it for dicts (id, subjects, predicates, contexts, actors, timestamp, source,
    attributes); a large result is read lazily from a JSON-lines file, one attestation at a time."""

    def __init__(self, spec):
        spec = spec or {}
        self.query = spec.get('query')
        self._items = spec.get('items')
        self._fd = spec.get('fd')
        self._count = int(spec.get('count') or 0)

    def __len__(self):
        return self._count

    def __bool__(self):
        return self._count > 0

    def __iter__(self):
        if self._fd is None:
            return iter(self._items or [])
        return self._lines()

    def _lines(self):
        # pread from offset 0: each iteration reads the whole file, whatever another one did.
        offset, rest = 0, b''
        while True:
            chunk = os.pread(self._fd, 1 << 16, offset)
            if not chunk:
                break
            offset += len(chunk)
            *lines, rest = (rest + chunk).split(b'\n')
            for line in lines:
                if line:
                    yield json.loads(line)
        if rest.strip():
            yield json.loads(rest)

    def __repr__(self):
        return 'ix.input(query=%r, count=%d)' % (self.query, self._count)


def b32(n):
    """Crockford base32 of n < 2**80, 16 chars."""
    return base64.b32encode(n.to_bytes(10, 'big')).translate(B32_TO_CROCKFORD).decode()


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
        s = limits.values(subjects, 'subjects', size)
        p = limits.values(predicates, 'predicates', size)
        c = limits.values(contexts, 'contexts', size)
        a = None if actors is None else limits.values(actors, 'actors', size)
        if attributes is not None:
            attributes, n = limits.attributes_size(attributes, ENC.encode)
            size[0] += n
        ts = timestamps.to_timestamp(timestamp)
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

    def result(self, ok, error, details, state):
        """The run's one result message, with the attestations not flushed yet."""
        self.lock.acquire(timeout=1.0)
        self.send({'t': 'r', 'ok': ok, 'error': error, 'details': details, 'state': state, 'items': self.batch})


def namespace(ctx, bridge):
    """(globals of the script, its ix object)."""
    ix = Ix(ctx, bridge)
    ns = {'__name__': '__main__', '__builtins__': builtins,
          'attest': bridge.attest, 'progress': bridge.progress, 'ix': ix}
    return ns, ix
