"""Contract work for the workers: thin, idempotent, retried with backoff on transient faults."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import InterfaceError, OperationalError

from marketplace.core.errors import DomainError

from . import services

logger = logging.getLogger("likeness.contracts")

# Database restarts, lost connections, a full or unreachable disk: worth trying again later.
TRANSIENT = (OperationalError, InterfaceError, OSError)


# Seconds before render attempt 2, 3, 4; then the contract shows as failed, with a retry.
RENDER_RETRY_DELAYS = (30, 120, 600)


@shared_task(
    autoretry_for=TRANSIENT,
    retry_backoff=2,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=8,
)
def generate_contract_task(*, licence_id: int, attempt: int = 1) -> str:
    """Enqueued after the model's consent commits, and on a retry of a failed contract.
    Returns the contract reference, or ""."""
    try:
        contract = services.generate_contract(licence_id=licence_id)
    except DomainError as exc:
        logger.warning("contract.generation_refused", extra={"licence": licence_id, "why": exc})
        return ""
    except services.RenderFailed as exc:
        if attempt <= len(RENDER_RETRY_DELAYS):
            # A new message rather than Celery's retry, which also runs (at once) when tasks
            # run inline; the attempt number travels with it.
            generate_contract_task.apply_async(
                kwargs={"licence_id": licence_id, "attempt": attempt + 1},
                countdown=RENDER_RETRY_DELAYS[attempt - 1],
            )
            return ""
        services.mark_generation_failed(contract_id=exc.contract_id, error=str(exc))
        return ""
    return contract.reference if contract else ""


@shared_task(
    autoretry_for=TRANSIENT,
    retry_backoff=2,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=8,
)
def seal_contract_task(*, contract_id: int) -> str:
    """Enqueued after the last signature commits. Returns the executed document's SHA-256."""
    try:
        contract = services.seal_contract(contract_id=contract_id)
    except DomainError as exc:
        logger.error("contract.sealing_refused", extra={"contract": contract_id, "why": exc})
        return ""
    return contract.executed_sha256 if contract else ""
