# Build stage: resolve the locked dependencies into a venv once.
FROM python:3.11-slim AS build
WORKDIR /app
RUN python -m venv /venv
COPY requirements.lock pyproject.toml README.md ./
RUN /venv/bin/pip install --no-cache-dir -r requirements.lock
COPY bot ./bot
COPY handlers ./handlers
COPY storage ./storage
RUN /venv/bin/pip install --no-cache-dir --no-deps .

# Runtime stage: the venv and nothing else, as an unprivileged user.
FROM python:3.11-slim
RUN useradd --create-home --uid 10001 oiwatch
COPY --from=build /venv /venv
USER oiwatch
WORKDIR /home/oiwatch
ENV PATH=/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    OIWATCH_DATABASE_URL=sqlite+aiosqlite:////home/oiwatch/oiwatch.db
HEALTHCHECK --interval=30s --timeout=5s --retries=3 \
    CMD python -c "import bot" || exit 1
ENTRYPOINT ["oiwatch"]
CMD ["run"]
