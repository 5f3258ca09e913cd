"""Structured JSON logs carrying the service, the request id and the tenant (bound per request or job)."""

import logging

import structlog


def configure_logging(service: str, level: str = "INFO", json: bool = True) -> None:
    renderer = structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer()
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.StackInfoRenderer(),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(),  # sys.stdout as it is when a line is written
        cache_logger_on_first_use=False,  # so a reconfiguration (level, output) reaches every logger
    )
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(service=service)
    # Libraries' stdlib logs keep their own handlers (uvicorn, arq): adding a root handler would print them twice.
    logging.getLogger().setLevel(level.upper())
    # uvicorn's own access log duplicates ours.
    logging.getLogger("uvicorn.access").disabled = True
