#!/usr/bin/env python3
# mixed-stalls.py: a small threaded program with several kinds of stall, the
# one scripts/make-pictures profiles for the README's pictures.  Threads:
# compute (CPU, holding the GIL), pipe + producer (a pipe, 2 ms sleeps),
# children (8 `sh -c "sleep 0.05"`, waited for), queue + worker0/1 (a work
# queue, 10 ms sleeps).  Each names its OS thread (Python does not), so the
# profile's thread table and trace show the names.
import ctypes, hashlib, os, queue, subprocess, threading, time

libc = ctypes.CDLL(None)
def named(name, f):                  # the OS thread name, as the profile shows it
    def run(*a):
        libc.prctl(15, name.encode(), 0, 0, 0)    # PR_SET_NAME
        f(*a)
    return run

def compute(n):                      # CPU: holds the GIL, competes for the P
    h = hashlib.sha256()
    for i in range(n):
        h.update(b"%d" % i)

def pipe_pair(rounds):               # a producer thread and a consumer on a pipe
    r, w = os.pipe()
    def producer():
        for i in range(rounds):
            os.write(w, b"x" * 512)
            time.sleep(0.002)
        os.close(w)
    t = threading.Thread(target=named("producer", producer)); t.start()
    while os.read(r, 4096):
        pass
    t.join(); os.close(r)

def children(k):                     # subprocesses: wait for each
    for _ in range(k):
        subprocess.run(["sh", "-c", "sleep 0.05"], check=True)

def queue_workers(jobs):             # a work queue: condition variables
    q = queue.Queue()
    def worker():
        while (j := q.get()) is not None:
            compute(j)
    ws = [threading.Thread(target=named(f"worker{i}", worker)) for i in range(2)]
    [w.start() for w in ws]
    for _ in range(jobs):
        q.put(20000); time.sleep(0.01)
    for _ in ws: q.put(None)
    [w.join() for w in ws]

ts = [threading.Thread(target=named(n, f), args=(a,)) for f, a, n in
      [(compute, 3000000, "compute"), (pipe_pair, 200, "pipe"),
       (children, 8, "children"), (queue_workers, 40, "queue")]]
[t.start() for t in ts]
[t.join() for t in ts]
print("done")
