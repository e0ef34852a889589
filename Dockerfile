# The helpdesk image: built from the same pyproject.toml as a local install.
#   docker build -t chat-helpdesk .
#   docker run --env-file .env chat-helpdesk run --workers 2
FROM python:3.12-slim AS build
WORKDIR /src
COPY pyproject.toml README.md LICENSE ./
COPY bot ./bot
COPY handlers ./handlers
COPY knowledge_base ./knowledge_base
COPY storage ./storage
RUN python -m pip install --no-cache-dir --upgrade pip \
 && python -m pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.12-slim
RUN useradd --create-home --uid 10001 helpdesk
COPY --from=build /wheels /wheels
RUN python -m pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
USER helpdesk
WORKDIR /home/helpdesk
ENV PYTHONUNBUFFERED=1 \
    HELPDESK_STATUS_LISTEN=0.0.0.0:9100 \
    TELEGRAM_WEBHOOK_LISTEN=0.0.0.0:8443 \
    SLACK_HTTP_LISTEN=0.0.0.0:3000
EXPOSE 8443 3000 9100
# /healthz: database reachable, migrations current, every channel connected.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:9100/healthz', timeout=4).status == 200 else 1)"
ENTRYPOINT ["helpdesk"]
CMD ["run"]
