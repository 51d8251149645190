"""The hash chain, step 2: chain the rows written before it, in (occurred_at, id) order, one
chain per local day (Asia/Shanghai) of occurred_at, linked across days; then the heads.

Fast on large tables: one ordered pass over tuples (iterator, chunks of 5,000), hashes computed in Python,
written back with one executemany per batch. The triggers were dropped by 0003."""

from django.db import migrations

BATCH = 5000
FIELDS = (
    "id",
    "occurred_at",
    "actor_id",
    "actor_name",
    "action",
    "target_type",
    "target_id",
    "target_repr",
    "changes",
    "ip",
    "request_id",
)


def chain_existing(apps, schema_editor):
    from cloudbranch.audit import chain

    AuditEvent = apps.get_model("audit", "AuditEvent")
    AuditChainHead = apps.get_model("audit", "AuditChainHead")
    db = schema_editor.connection.alias
    rows = AuditEvent.objects.using(db).order_by("occurred_at", "id").values_list(*FIELDS)
    heads = {}  # day -> [count, last hash]
    prev, day, seq = chain.GENESIS, None, 0
    updates = []

    def flush():
        with schema_editor.connection.cursor() as cursor:
            cursor.executemany(
                "UPDATE audit_auditevent SET chain_day = %s, seq = %s, prev_hash = %s, hash = %s WHERE id = %s",
                updates,
            )
        updates.clear()

    # One ordered pass (a server-side cursor on PostgreSQL); only columns outside the sort key
    # are updated while it is open.
    for values in rows.iterator(chunk_size=BATCH):
        values = dict(zip(FIELDS, values, strict=True))
        row_day = chain.local_day(values["occurred_at"])
        seq = seq + 1 if row_day == day else 1
        day = row_day
        values.update(chain_day=day, seq=seq, prev_hash=prev)
        prev = chain.compute_hash(values)
        heads[day] = [seq, prev]
        updates.append((day, seq, values["prev_hash"], prev, values["id"]))
        if len(updates) >= BATCH:
            flush()
    if updates:
        flush()
    AuditChainHead.objects.using(db).bulk_create(
        [AuditChainHead(day=d, seq=n, last_hash=h) for d, (n, h) in heads.items()], batch_size=1000
    )


def unchain(apps, schema_editor):
    apps.get_model("audit", "AuditChainHead").objects.using(schema_editor.connection.alias).all().delete()


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_chain_fields")]

    operations = [migrations.RunPython(chain_existing, unchain)]
