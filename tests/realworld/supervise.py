# supervise.py PROG SIGNAL DELAY -- CMD...: what a service manager does with
# ExecStart=CMD (scripts.sh): fork, exec CMD in the child, take the child's
# PID as the main PID; wait until that PID runs PROG itself (a launcher must
# have exec'd it in place), send SIGNAL (a name, or "none") after DELAY s,
# reap it and print how it ended: "exited N" or "killed by SIGNAME".
import os
import shutil
import signal
import sys
import time


def main():
    prog, signame, delay = sys.argv[1], sys.argv[2], float(sys.argv[3])
    cmd = sys.argv[sys.argv.index("--") + 1:]
    target = os.path.realpath(shutil.which(prog) or prog)
    pid = os.fork()
    if pid == 0:
        # A service manager starts its services with default dispositions
        # (Python ignores SIGPIPE).
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
        try:
            os.execvp(cmd[0], cmd)
        finally:
            os._exit(127)
    deadline = time.monotonic() + 30
    seen = False
    done, st = 0, 0
    while time.monotonic() < deadline:
        try:
            if os.readlink("/proc/%d/exe" % pid) == target:
                seen = True
                break
        except OSError:
            pass
        done, st = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        time.sleep(0.01)
    print("main pid runs %s: %s" % (os.path.basename(prog), "yes" if seen else "no"))
    if seen and signame != "none":
        time.sleep(delay)
        os.kill(pid, getattr(signal, signame))
    if seen or not done:
        _, st = os.waitpid(pid, 0)
    if os.WIFSIGNALED(st):
        print("killed by", signal.Signals(os.WTERMSIG(st)).name)
    else:
        print("exited", os.WEXITSTATUS(st))
    sys.stdout.flush()


main()
