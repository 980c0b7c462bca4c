#!/usr/bin/env python3
"""Count test cases from meson test logs and print "N passed, N failed".

Each GTest program speaks TAP, so the cases are its "ok"/"not ok" lines; a
program that printed none (a crash before its first case, a build failure)
counts as one failure.  Exits non-zero when anything failed."""
import json
import os
import re
import sys

passed = failed = skipped = 0
for path in sys.argv[1:]:
    if not os.path.exists(path):
        continue
    setup = " (valgrind)" if "memcheck" in path or "valgrind" in path else ""
    with open(path, encoding="utf-8") as f:
        for line in f:
            entry = json.loads(line)
            out = entry.get("stdout") or ""
            ok = notok = skip = 0
            for l in out.splitlines():
                if re.match(r"^ok \d+", l):
                    if "# SKIP" in l:
                        skip += 1
                    else:
                        ok += 1
                elif re.match(r"^not ok \d+", l):
                    if "# TODO" in l:
                        skip += 1
                    else:
                        notok += 1
            if entry.get("result") not in ("OK", "EXPECTEDFAIL", "SKIP") and notok == 0:
                notok = 1
            if ok + notok + skip == 0:
                if entry.get("result") == "OK":
                    ok = 1
                else:
                    notok = 1
            if notok:
                print("FAILED: %s%s" % (entry.get("name"), setup), file=sys.stderr)
            passed += ok
            failed += notok
            skipped += skip

line = "%d passed, %d failed" % (passed, failed)
if skipped:
    line += ", %d skipped" % skipped
print(line)
sys.exit(1 if failed else 0)
