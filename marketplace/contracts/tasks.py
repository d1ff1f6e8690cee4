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


@shared_task(
    autoretry_for=TRANSIENT,
    retry_backoff=2,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=8,
)
def generate_contract_task(*, licence_id: int) -> str:
    """Enqueued after the model's consent commits. Returns the contract reference, or ""."""
    try:
        contract = services.generate_contract(licence_id=licence_id)
    except DomainError as exc:
        logger.warning("contract.generation_refused", extra={"licence": licence_id, "why": exc})
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
