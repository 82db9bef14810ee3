# Sourced by ./quanta and ./run-tests: finds a JDK >= 21 and exports JAVA_HOME, PATH and MAVEN_OPTS.
# Order: $JAVA_HOME, the java on PATH, then the newest JDK under the usual install folders.

quanta_java_major() { # prints the major version of the java binary $1, or 0
  "$1" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2; exit}' |
    awk -F. '{ if ($1 == "1") print $2; else print $1 }' | grep -E '^[0-9]+$' || echo 0
}

quanta_find_jdk() {
  local preferred=() c best="" best_major=0 major
  [ -n "${JAVA_HOME:-}" ] && preferred+=("$JAVA_HOME")
  if command -v javac >/dev/null 2>&1; then
    preferred+=("$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")")
  fi
  for c in "${preferred[@]}"; do   # JAVA_HOME or PATH's JDK, when new enough
    if [ -x "$c/bin/java" ] && [ -x "$c/bin/javac" ]; then
      major=$(quanta_java_major "$c/bin/java")
      if [ "$major" -ge 21 ]; then best="$c"; best_major="$major"; break; fi
    fi
  done
  if [ -z "$best" ]; then          # else the newest installed JDK
    for c in /usr/lib/jvm/* /usr/java/* /opt/java/* /opt/jdk* "$HOME"/.sdkman/candidates/java/* "$HOME"/.jdks/*; do
      [ -x "$c/bin/java" ] && [ -x "$c/bin/javac" ] || continue
      major=$(quanta_java_major "$c/bin/java")
      if [ "$major" -ge 21 ] && [ "$major" -gt "$best_major" ]; then best="$c"; best_major="$major"; fi
    done
  fi
  if [ -z "$best" ]; then
    echo "quanta: needs a JDK 21 or newer (with javac); none found in JAVA_HOME, PATH or /usr/lib/jvm." >&2
    echo "quanta: install one (for example Temurin 21+) and set JAVA_HOME to it." >&2
    return 1
  fi
  export JAVA_HOME="$best"
  export PATH="$JAVA_HOME/bin:$PATH"
  if [ "$best_major" -ge 24 ]; then
    # Maven 3.8's bundled Guava warns about sun.misc.Unsafe on JDK 24+.
    export MAVEN_OPTS="${MAVEN_OPTS:---sun-misc-unsafe-memory-access=allow}"
  fi
}

quanta_require_maven() {
  if ! command -v mvn >/dev/null 2>&1; then
    echo "quanta: needs Apache Maven 3.8+ (mvn) on PATH to build; install it (Debian: apt-get install maven)." >&2
    return 1
  fi
}
