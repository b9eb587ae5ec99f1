#!/bin/sh
# One image, several roles. `exec` hands signals (SIGTERM on scale-down or deploy)
# straight to the server or worker, which then shut down gracefully.
set -e
QUEUES_CPU="default,notifications,imports,reports,crawl,settlement"
QUEUES_GPU="gpu.llm,gpu.stt,gpu.pose"

case "$1" in
  web)
    exec uvicorn config.asgi:application --host 0.0.0.0 --port "${PORT:-8000}" \
      --workers "${WEB_WORKERS:-2}" --proxy-headers --forwarded-allow-ips='*' \
      --timeout-graceful-shutdown "${GRACEFUL_SECONDS:-25}" --no-access-log ;;
  migrate)
    exec python manage.py migrate --noinput ;;
  worker)
    exec celery -A config worker -Q "${CELERY_QUEUES:-$QUEUES_CPU}" \
      --concurrency "${CELERY_CONCURRENCY:-4}" -l info -n "cpu@%h" ;;
  gpu-worker)
    # Thin clients of the inference fleet: mostly waiting on HTTP, so threads.
    exec celery -A config worker -Q "${CELERY_QUEUES:-$QUEUES_GPU}" \
      --pool threads --concurrency "${CELERY_CONCURRENCY:-8}" -l info -n "gpu@%h" ;;
  beat)
    exec celery -A config beat -l info ;;
  manage)
    shift; exec python manage.py "$@" ;;
  *)
    exec "$@" ;;
esac
