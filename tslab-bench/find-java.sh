#!/usr/bin/env bash
# Prints the path of a `java` of JDK 25 or newer: $JAVA_HOME's, then the system's JVM folders, then
# the one on the PATH. Used by run.sh and profile.sh.
java_major() { "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p'; }
candidates=()
[[ -n "${JAVA_HOME:-}" ]] && candidates+=("$JAVA_HOME/bin/java")
candidates+=(/usr/lib/jvm/*/bin/java /opt/java/*/bin/java "$(command -v java || true)")
for j in "${candidates[@]}"; do
  [[ -x "$j" ]] || continue
  v=$(java_major "$j")
  if [[ -n "$v" && "$v" -ge 25 ]]; then echo "$j"; exit 0; fi
done
echo "no JDK 25 or newer found (set JAVA_HOME)" >&2
exit 1
