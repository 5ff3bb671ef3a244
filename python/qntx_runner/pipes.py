"""The parent's side of a run's pipes: stdout/stderr kept up to the cap, fd 3 read line by line,
checked (protocol.parse_child_message) and forwarded to Node with flow control. A mixin of the
fork server, whose selector, send() and kill() it uses."""
import json
import os
import selectors
import time

from qntx_runner import protocol

WINDOW = 4  # batches forwarded to Node and not yet acknowledged before the parent stops reading
READ_SIZE = 1 << 16


class RunPipes(object):
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
        elif name != 'proto':
            run.keep_output(name, data)
        elif not run.discard_proto:
            run.proto.feed(data)
            self.on_proto_data(run)

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
        while not run.discard_proto:
            line = run.proto.pop()
            if line is None:
                if run.proto.pending() > protocol.MAX_CHILD_LINE:
                    self.violate(run, 'message longer than %d bytes' % protocol.MAX_CHILD_LINE)
                break
            try:
                self.on_child_message(run, protocol.parse_child_message(json.loads(line)))
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
        if msg[0] == 'a':
            items, state = msg[1], msg[2]
            if items or state is not None:
                out = {'t': 'batch', 'id': run.id, 'items': items}
                if state is not None:
                    out['state'] = state
                self.send(out)
                run.unacked += 1
        elif msg[0] == 'p':
            cur, total = msg[1], msg[2]
            now = time.monotonic()
            if now - run.last_progress >= 0.05 or (total is not None and cur >= total):
                run.last_progress = now
                self.send({'t': 'progress', 'id': run.id, 'current': cur, 'total': total})
        else:
            if run.result is not None:
                raise ValueError('second result')
            run.result = msg[1]

    def violate(self, run, why):
        if run.violation is None:
            run.violation = why
        self.kill(run, 'protocol')
