"""The warm parent: reads Node's commands, forks one child per run, drains and caps its output,
checks what it sends, enforces the wall-clock timeout and ends its processes. It never runs user
code. A single-threaded selectors loop serves every run."""
import os
import selectors
import signal
import sys
import time
import traceback

from qntx_runner import child, isolation, protocol, rundirs, sandbox
from qntx_runner.pipes import RunPipes
from qntx_runner.reaper import Reaper
from qntx_runner.runs import Run, done_message, failure


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

    def send(self, msg):
        protocol.send(self.out, msg)

    def forget_for_child(self):
        self.runs = self.by_pid = None
        self.cmds = None

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
        run = Run(rid, src, code, ctx, limits)
        try:
            self.fork(run)
        except OSError as e:  # out of processes, memory or file descriptors
            for fd in list(run.fds) + [run.out_w, run.err_w, run.proto_w]:
                try:
                    os.close(fd)
                except (OSError, TypeError):
                    pass
            rundirs.remove_tree(run.dir)
            self.release_slot(run)
            self.send(failure(rid, 'could not start the run: %s' % e, ['runner=fork_failed']))

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
        run.dir = self.dirs.make(run.id, run.uid, self.gid)
        run.env = rundirs.run_environment(self.cfg['env'], run.dir)
        out_r, run.out_w = os.pipe()
        run.fds[out_r] = 'stdout'
        err_r, run.err_w = os.pipe()
        run.fds[err_r] = 'stderr'
        proto_r, run.proto_w = os.pipe()
        run.fds[proto_r] = 'proto'
        run.proto = protocol.Lines()
        pid = os.fork()
        if pid == 0:
            child.child_main(run, self)
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
        self.send({'t': 'started', 'id': run.id, 'pid': pid, 'dir': run.dir, 'uid': run.uid})

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
                    self.reaper.kill_uid(run.uid)
                except OSError:
                    pass
        self.dirs.close()
        self.iso.release()
        rundirs.remove_tree(self.runs_root)
