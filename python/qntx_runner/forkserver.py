"""The warm parent: reads Node's commands, forks one child per run, drains and caps its output,
checks what it sends, enforces the wall-clock timeout and ends its processes. It never runs user
code. A single-threaded selectors loop serves every run."""
import marshal
import os
import pickle
import selectors
import signal
import struct
import sys
import time
import traceback

from qntx_runner import child, isolation, protocol, rundirs, sandbox
from qntx_runner.pipes import RunPipes
from qntx_runner.reaper import Reaper
from qntx_runner.runs import Run, done_message, failure

# What a prepared process is handed must fit in its empty pipe (64 KiB), so that the parent's one
# write never blocks; larger runs are forked as before.
SPARE_PAYLOAD_MAX = 60000
# A run's answer is sent, then this long idle before the next run's process is prepared: a run
# that follows at once (a queue of jobs) is forked when it comes, as it would be anyway, and the
# preparing does not compete with it for the CPU; a run that comes later (the editor's Run) finds
# its process ready.
SPARE_DELAY = 0.005


class Server(RunPipes):
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
        self.cmds = protocol.Lines()
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
        self.subreaper = sandbox.become_subreaper()
        self.sandbox = cfg.get('sandbox') if os.geteuid() == 0 else None
        self.gid = self.sandbox['gid'] if self.sandbox else None
        self.reaper = Reaper(self.pid, self.by_pid, self.gid)
        self.uid_base = None
        self.runs_root = rundirs.make_runs_root(cfg['tmpRoot'], bool(self.sandbox))
        self.iso = isolation.Isolation()
        if cfg.get('isolate', True):
            self.iso.setup(cfg.get('hide') or [], isolation.needed_paths(cfg, self.runs_root), self.gid)
        else:
            self.iso.reason = 'turned off'
        self.dirs = rundirs.RunDirs(self.runs_root)
        self.reaper.keep.add(self.dirs.janitor)
        if self.sandbox:
            self.uid_base, self.uid_lock = sandbox.claim_uid_block(self.sandbox['uidBase'], self.sandbox['lockDir'])
            for slot in range(cfg['slots'] + 1):
                self.reaper.kill_uid(self.uid_base + slot)  # leftovers of a parent that died
        self.user_procs = (0, -10.0)  # (count, when) for RLIMIT_NPROC when not root
        self.spare = None  # the next run's process, prepared (see make_spare)
        self.spare_due = None  # when to prepare it: a little after a run's answer
        self.spares_ok = cfg.get('prepare', True)
        self.spare_seq = 0

    def send(self, msg):
        protocol.send(self.out, msg)

    def forget_for_child(self):
        self.runs = self.by_pid = None
        self.cmds = None
        self.spare = None

    # -- commands from Node -------------------------------------------------------------------
    def on_command_data(self):
        data = os.read(self.cmd_in, 1 << 20)
        if not data:
            raise SystemExit(0)  # Node went away
        self.cmds.feed(data)
        self.drain_commands()

    def drain_commands(self):
        while True:
            line = self.cmds.pop()
            if line is None:
                break
            try:
                msg = protocol.parse_command(line)
            except protocol.BadCommand as e:
                self.refuse(e.op, e.rid, e.reason)
                continue
            try:
                self.on_command(msg)
            except Exception:
                sys.stderr.write('qntx runner: command failed: %s\n' % traceback.format_exc())
                self.refuse(msg['op'], msg['id'], 'runner error')

    def refuse(self, op, rid, reason):
        """A command that cannot be carried out fails alone: its run or check gets the error."""
        sys.stderr.write('qntx runner: bad command (op=%s, id=%s): %s\n' % (op, rid, reason))
        if rid is None or (op == 'run' and rid in self.runs):
            return
        details = ['runner=bad_command', 'reason=%s' % reason[:150]]
        error = 'the runner could not carry out the command: %s' % reason[:300]
        if op == 'run':
            self.send(failure(rid, error, details))
        elif op == 'check':
            self.send({'t': 'checked', 'id': rid, 'ok': False, 'error': error, 'details': details})

    def on_command(self, msg):
        op = msg.get('op')
        rid = msg.get('id')
        if op == 'run':
            self.start(rid, msg['code'], msg['ctx'], msg['limits'])
        elif op == 'check':
            _, err = child.compile_user(msg['code'])
            self.send({'t': 'checked', 'id': rid, 'ok': err is None,
                       'error': err and err[0], 'details': err[1] if err else []})
        elif op == 'cancel':
            run = self.runs.get(rid)
            if run is not None:
                self.kill(run, msg.get('reason', 'cancelled'))
        elif op == 'ack':
            run = self.runs.get(rid)
            if run is not None:
                run.unacked -= 1
                self.maybe_resume(run)

    # -- starting a run -----------------------------------------------------------------------
    def start(self, rid, src, ctx, limits):
        code, err = child.compile_user(src)
        if err is not None:
            self.send(failure(rid, err[0], err[1]))
            return
        self.spare_due = None  # prepared after this run's answer, not during it
        if self.dispatch_to_spare(rid, src, code, ctx, limits):
            return
        if not self.free_slots and self.spare is not None:
            self.discard_spare(self.spare)  # its slot, rather than a uid shared with another run
        run = Run(rid, src, code, ctx, limits)
        try:
            self.prepare(run, str(rid))
            pid = os.fork()
        except OSError as e:  # out of processes, memory or file descriptors
            self.undo_prepare(run)
            self.send(failure(rid, 'could not start the run: %s' % e, ['runner=fork_failed']))
            return
        if pid == 0:
            child.child_main(run, self)
        self.after_fork(run, pid)
        self.launch(run)

    def undo_prepare(self, run):
        for fd in list(run.fds) + [run.out_w, run.err_w, run.proto_w, run.cmd_w]:
            try:
                os.close(fd)
            except (OSError, TypeError):
                pass
        run.fds = {}
        run.cmd_w = None
        rundirs.remove_tree(run.dir)
        self.release_slot(run)

    def release_slot(self, run):
        # Least recently used first: the process prepared after a run never has that run's uid.
        if run.slot is not None and run.slot < self.cfg['slots']:
            self.free_slots.append(run.slot)
        run.slot = None

    def prepare(self, run, name):
        """The run's slot (and sandbox uid), private directory, environment and pipes."""
        run.slot = self.free_slots.pop(0) if self.free_slots else self.cfg['slots']
        if self.sandbox:
            run.uid = self.uid_base + run.slot
            run.nproc = self.sandbox['maxProcesses']
        elif self.cfg['maxProcesses'] and os.geteuid() != 0:  # root ignores RLIMIT_NPROC
            run.nproc = self.count_user_processes() + self.cfg['maxProcesses']
        run.dir = self.dirs.make(name, run.uid, self.gid)
        run.env = rundirs.run_environment(self.cfg['env'], run.dir)
        out_r, run.out_w = os.pipe()
        run.fds[out_r] = 'stdout'
        err_r, run.err_w = os.pipe()
        run.fds[err_r] = 'stderr'
        proto_r, run.proto_w = os.pipe()
        run.fds[proto_r] = 'proto'
        run.proto = protocol.Lines()

    def after_fork(self, run, pid):
        for w in (run.out_w, run.err_w, run.proto_w):
            os.close(w)
        run.out_w = run.err_w = run.proto_w = None
        run.pid = pid
        self.by_pid[pid] = run

    def launch(self, run):
        """The run's process has its run: its time starts, its output is read, Node is told."""
        run.deadline = time.monotonic() + run.limits['timeoutMs'] / 1000.0
        for fd in run.fds:
            os.set_blocking(fd, False)
            self.sel.register(fd, selectors.EVENT_READ, ('run', run))
        self.runs[run.id] = run
        self.send({'t': 'started', 'id': run.id, 'pid': run.pid, 'dir': run.dir, 'uid': run.uid})

    # -- a run's process prepared ahead ---------------------------------------------------------
    # Between runs (SPARE_DELAY after an answer, and at start) the parent forks the next run's process, which sets itself up as far as it can
    # without its run (its session, descriptors, private directory, sandbox uid, capabilities,
    # no-new-privileges, environment) and waits on a pipe. A run then costs the parent one write,
    # and the fork and set-up are off its path. Runs it cannot take (an `so` input file to open,
    # a payload larger than an empty pipe holds, runs at the same time) are forked as before.
    def make_spare(self):
        if self.spare is not None or not self.spares_ok or not self.free_slots:
            return
        run = Run(None, None, None, None, None)
        self.spare_seq += 1
        cmd_r = None
        try:
            cmd_r, run.cmd_w = os.pipe()
            self.prepare(run, 's%d' % self.spare_seq)
            pid = os.fork()
        except OSError:  # out of processes or descriptors: runs are forked when they come
            if cmd_r is not None:
                os.close(cmd_r)
            self.undo_prepare(run)
            return
        if pid == 0:
            child.spare_main(run, cmd_r, self)
        os.close(cmd_r)
        os.set_blocking(run.cmd_w, False)
        self.after_fork(run, pid)
        self.spare = run

    def dispatch_to_spare(self, rid, src, code, ctx, limits):
        """Hands the run to the prepared process; False when it cannot take it (forked as before)."""
        run = self.spare
        if run is None or child.needs_input(ctx):
            return False
        payload = pickle.dumps((marshal.dumps(code), src, ctx, limits), pickle.HIGHEST_PROTOCOL)
        payload = struct.pack('>I', len(payload)) + payload
        if len(payload) > SPARE_PAYLOAD_MAX:
            return False
        self.spare = None
        try:
            written = os.write(run.cmd_w, payload)  # an empty pipe: never blocks, never short
        except OSError:
            written = -1
        os.close(run.cmd_w)
        run.cmd_w = None
        if written != len(payload):
            self.discard_spare(run)
            return False
        run.id, run.src, run.code, run.ctx, run.limits = rid, src, code, ctx, limits
        self.launch(run)
        return True

    def discard_spare(self, run):
        """Ends a prepared process now (it runs no user code: its end is at once) and frees its slot."""
        if self.spare is run:
            self.spare = None
        self.kill(run, 'discarded')
        if run.pid in self.by_pid:
            self.spare_gone(run)

    def spare_gone(self, run):
        """A prepared process ended before it had a run (discarded, or it failed to set up)."""
        pid = run.pid
        try:
            os.killpg(pid, signal.SIGKILL)
        except OSError:
            pass
        _, status, _ = os.wait4(pid, 0)
        del self.by_pid[pid]
        self.reaper.kill_group(pid)
        self.reaper.sweep(run.uid)
        self.dirs.release(run.dir)
        run.dir = None
        if run.uid is not None:
            sandbox.remove_uid_leftovers(run.uid)
        err = b''
        for fd, name in list(run.fds.items()):
            if name == 'stderr':
                try:
                    os.set_blocking(fd, False)
                    err = os.read(fd, 2000)
                except OSError:
                    pass
        self.undo_prepare(run)  # its pipes and slot
        if self.spare is run:
            self.spare = None
        if run.reason != 'discarded':
            # Something in the set-up fails: runs are forked as before, and say what it is.
            self.spares_ok = False
            sys.stderr.write('qntx runner: a prepared run process exited (%s): %s\n'
                             % (os.waitstatus_to_exitcode(status), err.decode('utf-8', 'replace').strip()))

    def count_user_processes(self):
        count, when = self.user_procs
        now = time.monotonic()
        if now - when > 2.0:
            count = sandbox.count_user_processes()
            self.user_procs = (count, now)
        return count

    # -- ending a run -------------------------------------------------------------------------
    def kill(self, run, reason):
        # A protocol violation found while draining after the exit still decides the outcome.
        if run.reason is None and (run.status is None or reason == 'protocol'):
            run.reason = reason
        if reason in ('cancelled', 'protocol'):
            run.discard_proto = True
            run.proto.clear()
            fd = self.proto_fd(run)
            if fd is not None and run.paused:
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
        self.reaper.reap_orphans()

    def on_exit(self, run):
        if run.id is None:
            self.spare_gone(run)
            return
        pid = run.pid
        try:
            os.killpg(pid, signal.SIGKILL)  # the zombie keeps the group id from being reused
        except OSError:
            pass
        _, status, usage = os.wait4(pid, 0)
        run.status = os.waitstatus_to_exitcode(status)
        run.cpu = usage.ru_utime + usage.ru_stime
        del self.by_pid[pid]
        self.reaper.kill_group(pid)
        self.reaper.sweep(run.uid)
        cap = run.limits['diskBytes']
        if run.reason is None and sandbox.final_usage(run.dir, run.uid, cap) > cap:
            run.reason = 'disk'  # written faster than the watch samples: over the cap all the same
        self.dirs.release(run.dir)  # no process of the run is left to race this
        if run.uid is not None:
            sandbox.remove_uid_leftovers(run.uid)
        self.release_slot(run)
        self.maybe_done(run)

    def maybe_done(self, run):
        if run.status is None or run.fds or self.runs.get(run.id) is not run:
            return
        del self.runs[run.id]
        self.send(done_message(run))
        self.spare_due = time.monotonic() + SPARE_DELAY

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
                   'subreaper': self.subreaper, 'isolation': self.iso.mode, 'isolationReason': self.iso.reason})
        self.drain_commands()  # what followed the start-up message, if anything
        self.make_spare()
        while True:
            timeout = self.check_timeouts()
            if self.spare_due is not None:
                wait = max(0.0, self.spare_due - time.monotonic())
                timeout = wait if timeout is None else min(timeout, wait)
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
            if self.spare_due is not None and time.monotonic() >= self.spare_due:
                self.spare_due = None
                self.make_spare()

    def shutdown(self):
        for run in list(self.by_pid.values()):
            try:
                os.killpg(run.pid, signal.SIGKILL)
            except OSError:
                pass
            if run.uid is not None:
                try:
                    self.reaper.kill_uid(run.uid)
                except OSError:
                    pass
        self.dirs.close()
        self.iso.release()
        rundirs.remove_tree(self.runs_root)
