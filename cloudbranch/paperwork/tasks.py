"""Background tasks of official documents (django-tasks; immediate backend in tests)."""

from django_tasks import task

from . import services


@task()
def run_document_batch(batch_id: int) -> str:
    """Generate one batch's documents into its .zip (see ``services.batch_run``)."""
    batch = services.batch_run(batch_id)
    return batch.status if batch is not None else "missing"
