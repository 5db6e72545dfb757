#!/bin/sh
# python_subprocess: CPython starts subprocess children with vfork; the
# child resets every handled signal before exec (issue 7, item 1).  Skips
# (77) when python3 is missing.
py=$(command -v python3 2>/dev/null) || { echo "python3 not found: skipped" >&2; exit 77; }
exec "$py" -c '
import subprocess, threading
for _ in range(5):
    subprocess.run(["true"], check=True)
t = [threading.Thread(target=sum, args=(range(10**7),)) for _ in range(2)]
[x.start() for x in t]
[x.join() for x in t]
out = subprocess.run(["sh", "-c", "echo child"], capture_output=True, text=True).stdout
print("ok", out.strip())
'
