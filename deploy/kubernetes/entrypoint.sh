#!/bin/sh
# Entry point of the mqtt-doctor image: raise the soft open-file limit, then run mqtt-doctor with the
# container's arguments (`exec`, so SIGTERM from the kubelet reaches mqtt-doctor, which writes its report).
#
# Why here: a pod cannot set RLIMIT_NOFILE. The PodSpec has no rlimit field
# (https://github.com/kubernetes/kubernetes/issues/3595; per-container ulimits are only a proposal, KEP-5758:
# https://github.com/kubernetes/enhancements/pull/5762), so a container starts with what the container runtime
# gives it: containerd 2.x leaves the systemd default, soft 1024 / hard 524288
# (https://github.com/containerd/containerd/pull/8924), while containerd 1.x nodes often give 1048576 / 1048576.
# Every MQTT connection is one descriptor, so a shard of 10,000 clients fails at about 1,000 with the soft
# default. Any process may raise its soft limit up to its hard limit without privilege (setrlimit(2):
# https://man7.org/linux/man-pages/man2/setrlimit.2.html), which is all this does: it never asks for more than
# the hard limit, so it works under runAsNonRoot with every capability dropped. A higher hard limit needs the
# node's runtime configuration (a systemd drop-in with LimitNOFILE for containerd or CRI-O).
#
# OPEN_FILES: the soft limit wanted (default 65536). A soft limit already higher is kept.
set -eu

want="${OPEN_FILES:-65536}"
case "$want" in
  '' | *[!0-9]*)
    echo "mqtt-doctor-entrypoint: OPEN_FILES=$want is not a number of files" >&2
    exit 2
    ;;
esac
hard="$(ulimit -H -n)"
soft="$(ulimit -S -n)"
if [ "$hard" != unlimited ] && [ "$hard" -lt "$want" ]; then
  echo "mqtt-doctor-entrypoint: open files limited to $hard by the container runtime (OPEN_FILES=$want)" >&2
  want="$hard"
fi
if [ "$soft" = unlimited ] || [ "$soft" -ge "$want" ]; then
  want="$soft"
else
  ulimit -S -n "$want"
fi
exec mqtt-doctor "$@"
