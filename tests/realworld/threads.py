# threads.py - the Python case of the realworld suite (python.sh): threads
# (a lock-protected counter, a queue pipeline, hashing that drops the GIL),
# subprocess (children, a pipe through sort), and multiprocessing pools
# started by fork and by spawn.  Every line it prints is deterministic.
import hashlib
import multiprocessing
import queue
import subprocess
import sys
import threading


def square(n):
    return n * n % 1000003


def digest(seed):
    return hashlib.sha256(str(seed).encode() * 20000).hexdigest()[:16]


def main():
    lock = threading.Lock()
    state = {"count": 0}

    def count():
        for _ in range(20000):
            with lock:
                state["count"] += 1

    workers = [threading.Thread(target=count) for _ in range(8)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    print("counter", state["count"])

    # A pipeline of three stages over queues.
    q1, q2, out = queue.Queue(8), queue.Queue(8), []

    def stage1():
        for i in range(3000):
            q1.put(i)
        q1.put(None)

    def stage2():
        while (v := q1.get()) is not None:
            q2.put(v * 3)
        q2.put(None)

    def stage3():
        while (v := q2.get()) is not None:
            out.append(v)

    stages = [threading.Thread(target=f) for f in (stage1, stage2, stage3)]
    for t in stages:
        t.start()
    for t in stages:
        t.join()
    print("pipeline", len(out), sum(out))

    hashes = [None] * 8

    def hash_one(i):
        hashes[i] = digest(i)

    hashers = [threading.Thread(target=hash_one, args=(i,)) for i in range(8)]
    for t in hashers:
        t.start()
    for t in hashers:
        t.join()
    print("hashes", " ".join(hashes))

    for i in range(5):
        subprocess.run(["sh", "-c", "exit 0"], check=True)
    r = subprocess.run(["sort", "-n"], input="\n".join(str(i) for i in range(50, 0, -7)) + "\n",
                       capture_output=True, text=True, check=True)
    print("sorted", r.stdout.split())

    for method in ("fork", "spawn"):
        with multiprocessing.get_context(method).Pool(4) as pool:
            print(method, sum(pool.map(square, range(20000), chunksize=500)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
