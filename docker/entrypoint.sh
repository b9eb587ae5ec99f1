#!/bin/sh
# One image, several roles. `exec` hands signals (SIGTERM on scale-down or deploy)
# straight to the server or worker, which then shut down gracefully.
set -e
QUEUES_CPU="default,notifications,imports,reports,crawl,settlement"
QUEUES_GPU="gpu.llm,gpu.stt,gpu.pose,gpu.embed"

# Prometheus multi-process directory of this container's processes (apps/ops/metrics.py),
# emptied when the container starts them.
metrics_dir() {
  export PROMETHEUS_MULTIPROC_DIR="${PROMETHEUS_MULTIPROC_DIR:-/tmp/megacity-metrics}"
  rm -rf "$PROMETHEUS_MULTIPROC_DIR" && mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
}
# Workers: SIGTERM is Celery's soft shutdown (CELERY_WORKER_SOFT_SHUTDOWN_TIMEOUT to finish,
# then running tasks go back to the queue), and their metrics are served on their own port.
worker_env() {
  metrics_dir
  export REMAP_SIGTERM="${REMAP_SIGTERM:-SIGQUIT}"
  export CELERY_METRICS_PORT="${CELERY_METRICS_PORT:-9808}"
}

case "$1" in
  web)
    metrics_dir
    # uvicorn in WEB_WORKERS processes, each with its own socket on PORT (config/serve.py:
    # SO_REUSEPORT spreads connections evenly; GRACEFUL_SECONDS, WEB_KEEPALIVE_SECONDS).
    exec python -m config.serve --app config.asgi:application ;;
  migrate)
    exec python manage.py migrate --noinput ;;
  worker)
    worker_env
    exec celery -A config worker -Q "${CELERY_QUEUES:-$QUEUES_CPU}" \
      --concurrency "${CELERY_CONCURRENCY:-4}" -l info -n "cpu@%h" ;;
  gpu-worker)
    # Thin clients of the inference fleet: mostly waiting on HTTP, so threads.
    worker_env
    exec celery -A config worker -Q "${CELERY_QUEUES:-$QUEUES_GPU}" \
      --pool threads --concurrency "${CELERY_CONCURRENCY:-8}" -l info -n "gpu@%h" ;;
  beat)
    exec celery -A config beat -l info ;;
  manage)
    shift; exec python manage.py "$@" ;;
  *)
    exec "$@" ;;
esac
