/**
 * `with_passwd_entry <command...>`: runs a command with a passwd entry for the current UID when the image
 * has none (the pod runs as a UID of its own, not the image's user), through nss_wrapper, as the official
 * PostgreSQL image's entrypoint does for initdb.
 *
 * Facts relied on:
 * - initdb and `postgres --single` refuse to run without one: "could not look up effective user ID <uid>:
 *   user does not exist" (postgresql src/common/username.c get_user_name_or_exit, called by initdb.c get_id
 *   and main.c for --single); the postmaster and psql do not need one. Checked against PostgreSQL 15 here by
 *   __tests__/platform/postgresql-uid.test.ts.
 * - The image ships libnss_wrapper.so for this purpose and its entrypoint looks for it at
 *   `{/usr,}/lib{/*,}/libnss_wrapper.so` (github.com/docker-library/postgres 16/bookworm/Dockerfile
 *   `libnss-wrapper`; docker-entrypoint.sh docker_init_database_dir, "initdb is particular about the
 *   current user existing in /etc/passwd"; cwrap.org/nss_wrapper.html: NSS_WRAPPER_PASSWD/GROUP with LD_PRELOAD).
 *
 * POSIX sh (the start scripts run under the image's /bin/sh). The temporary files go to $TMPDIR or /tmp.
 */
export const WITH_PASSWD_ENTRY = [
  "with_passwd_entry() {",
  '  if ! getent passwd "$(id -u)" >/dev/null 2>&1; then',
  "    for wrapper in /usr/lib/*/libnss_wrapper.so /usr/lib/libnss_wrapper.so /lib/*/libnss_wrapper.so /lib/libnss_wrapper.so; do",
  '      [ -s "$wrapper" ] || continue',
  '      pw="$(mktemp)"; gr="$(mktemp)"',
  "      printf 'postgres:x:%s:%s:PostgreSQL:%s:/bin/false\\n' \"$(id -u)\" \"$(id -g)\" \"${PGDATA:-/}\" > \"$pw\"",
  "      printf 'postgres:x:%s:\\n' \"$(id -g)\" > \"$gr\"",
  '      rc=0; LD_PRELOAD="$wrapper" NSS_WRAPPER_PASSWD="$pw" NSS_WRAPPER_GROUP="$gr" "$@" || rc=$?',
  '      rm -f "$pw" "$gr"',
  "      return $rc",
  "    done",
  "  fi",
  '  "$@"',
  "}",
].join("\n");
