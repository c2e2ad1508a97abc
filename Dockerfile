# syntax=docker/dockerfile:1
# Build stage: resolve the locked dependencies into a venv once (wheels only, no compilers).
FROM python:3.11-slim AS build
WORKDIR /app
RUN python -m venv /venv
COPY requirements.lock pyproject.toml README.md ./
RUN /venv/bin/pip install --no-cache-dir --disable-pip-version-check -r requirements.lock
COPY bot ./bot
COPY handlers ./handlers
COPY storage ./storage
RUN /venv/bin/pip install --no-cache-dir --disable-pip-version-check --no-deps . \
    && find /venv -name __pycache__ -prune -exec rm -rf {} + \
    && rm -rf /venv/lib/python3.11/site-packages/pip /venv/lib/python3.11/site-packages/setuptools

# Runtime stage: the venv and nothing else, as an unprivileged user.
FROM python:3.11-slim
RUN useradd --create-home --uid 10001 oiwatch
COPY --from=build /venv /venv
USER oiwatch
WORKDIR /home/oiwatch
ENV PATH=/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    MPLCONFIGDIR=/home/oiwatch/.matplotlib \
    OIWATCH_HTTP_PORT=8080 \
    OIWATCH_DATABASE_URL=sqlite+aiosqlite:////home/oiwatch/data/oiwatch.db
RUN mkdir -p /home/oiwatch/data /home/oiwatch/.matplotlib
VOLUME ["/home/oiwatch/data"]
EXPOSE 8080
# /healthz answers 503 when the database is unreachable or the leader's sender or market poll
# is stuck (stale exchanges are reported, not fatal: a restart cannot fix them). `oiwatch health`
# asks it where OIWATCH_HTTP_HOST and OIWATCH_HTTP_PORT say it listens (0: nothing to check).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 CMD ["oiwatch", "health"]
# SIGTERM: stop taking updates, finish the message in flight, release the leader lock.
STOPSIGNAL SIGTERM
ENTRYPOINT ["oiwatch"]
CMD ["run"]
