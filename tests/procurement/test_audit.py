import threading

import pytest
from django.db import connection, connections, transaction

from procurement import audit
from procurement.accounts.models import User
from procurement.models import AuditEntry


def _append(n, *, actor=None, object_type="dps", action="publish"):
    entries = []
    for i in range(n):
        with transaction.atomic():
            entries.append(
                audit.record(
                    object_type=object_type,
                    object_id=f"obj-{i}",
                    action=action,
                    actor=actor,
                    from_state="draft",
                    to_state="open",
                    reason=f"raison n°{i}",
                )
            )
    return entries


def _raw(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql.format(table=connection.ops.quote_name(AuditEntry._meta.db_table)), params)


@pytest.mark.django_db(transaction=True)
def test_record_refuses_to_run_outside_a_transaction():
    with pytest.raises(RuntimeError):
        audit.record(object_type="dps", object_id="x", action="publish")
    assert AuditEntry.objects.count() == 0


@pytest.mark.django_db
def test_it_chains_entries_from_the_genesis():
    user = User.objects.create_user("acheteur@example.fr", "x")
    first, second, third = _append(3, actor=user)

    assert first.prev_hash == audit.GENESIS
    assert second.prev_hash == first.hash
    assert third.prev_hash == second.hash
    assert first.actor == user
    assert first.actor_label == "acheteur@example.fr"
    assert audit.verify() == audit.ChainReport(valid=True, entries=3, head=AuditEntry.objects.last().hash)


@pytest.mark.django_db
def test_an_anonymous_actor_is_recorded_as_the_system():
    (entry,) = _append(1)
    assert entry.actor is None
    assert entry.actor_label == "système"


@pytest.mark.django_db
def test_an_empty_log_is_valid():
    assert audit.verify() == audit.ChainReport(valid=True, entries=0)


@pytest.mark.django_db
def test_it_detects_a_row_edited_with_raw_sql():
    entries = _append(5)
    _raw("UPDATE {table} SET reason = %s WHERE id = %s", ["falsifié", entries[2].id])

    report = audit.verify()

    assert report.valid is False
    assert report.first_broken == entries[2].id
    assert report.entries == 5


@pytest.mark.django_db
def test_it_detects_a_rewritten_hash_by_the_next_link():
    entries = _append(4)
    # Whoever edits a row and recomputes its hash still breaks the following entry's link.
    _raw("UPDATE {table} SET reason = %s WHERE id = %s", ["falsifié", entries[1].id])
    tampered = AuditEntry.objects.get(id=entries[1].id)
    _raw("UPDATE {table} SET hash = %s WHERE id = %s", [audit._digest(tampered), entries[1].id])

    assert audit.verify().first_broken == entries[2].id


@pytest.mark.django_db
def test_it_detects_a_queryset_update():
    entries = _append(3)
    AuditEntry.objects.filter(id=entries[0].id).update(to_state="closed")

    assert audit.verify().first_broken == entries[0].id


@pytest.mark.django_db
def test_it_detects_a_row_deleted_with_raw_sql():
    entries = _append(5)
    _raw("DELETE FROM {table} WHERE id = %s", [entries[2].id])

    report = audit.verify()

    assert report.valid is False
    assert report.first_broken == entries[3].id  # its prev_hash points at the missing entry
    assert report.entries == 4


@pytest.mark.django_db
def test_saving_an_existing_entry_is_refused():
    (entry,) = _append(1)
    entry.reason = "autre"
    with pytest.raises(PermissionError):
        entry.save()
    assert AuditEntry.objects.get(id=entry.id).reason == "raison n°0"


@pytest.mark.django_db
def test_deleting_an_entry_is_refused():
    (entry,) = _append(1)
    with pytest.raises(PermissionError):
        entry.delete()
    assert AuditEntry.objects.filter(id=entry.id).exists()


@pytest.mark.django_db
def test_history_lists_one_object_in_order():
    _append(2, object_type="dps")
    _append(2, object_type="tender")
    history = audit.history("tender", "obj-1")
    assert [e.object_type for e in history] == ["tender"]
    assert [e.object_id for e in history] == ["obj-1"]


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_keep_a_valid_chain(require_postgres):
    per_thread = 20
    errors = []
    start = threading.Barrier(2)

    def writer(name):
        try:
            start.wait(timeout=10)
            for i in range(per_thread):
                with transaction.atomic():
                    audit.record(object_type="tender", object_id=f"{name}-{i}", action="bid_submit")
        except Exception as exc:  # noqa: BLE001  reported to the main thread below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not errors
    assert audit.verify() == audit.ChainReport(valid=True, entries=2 * per_thread,
                                               head=AuditEntry.objects.last().hash)
    # Each entry links to exactly one predecessor: no fork in the chain.
    prev_hashes = list(AuditEntry.objects.values_list("prev_hash", flat=True))
    assert len(set(prev_hashes)) == len(prev_hashes)


@pytest.mark.django_db
def test_entries_cut_from_the_tail_are_found_with_an_anchor_kept_elsewhere():
    entries = _append(5)
    anchor = audit.verify().head
    assert anchor == entries[-1].hash
    _raw("DELETE FROM {table} WHERE id >= %s", [entries[3].id])

    assert audit.verify().valid is True  # a shorter chain still checks itself…
    report = audit.verify(anchor=anchor)  # …but no longer contains the head copied earlier
    assert report.valid is False and report.anchor_found is False and report.entries == 3


@pytest.mark.django_db
def test_an_anchor_stays_found_as_the_chain_grows():
    _append(2)
    anchor = audit.verify().head
    _append(3)
    report = audit.verify(anchor=anchor)
    assert report.valid is True and report.anchor_found is True and report.entries == 5


@pytest.mark.django_db
def test_the_command_checks_an_anchor():
    from django.core.management import CommandError, call_command

    _append(3)
    head = audit.verify().head
    call_command("verify_audit", anchor=head)
    _raw("DELETE FROM {table} WHERE id = (SELECT MAX(id) FROM {table})", [])
    with pytest.raises(CommandError, match="entries were removed"):
        call_command("verify_audit", anchor=head)


# --- details: what an event was about -------------------------------------------------------------------


@pytest.mark.django_db
def test_details_are_part_of_the_hash():
    with transaction.atomic():
        entry = audit.record(object_type="company", object_id="c-1", action="update",
                             details={"changes": {"city": ["Lille", "Roubaix"]}})
    assert AuditEntry.objects.get(id=entry.id).details == {"changes": {"city": ["Lille", "Roubaix"]}}
    AuditEntry.objects.filter(id=entry.id).update(details={"changes": {"city": ["Lille", "Tourcoing"]}})

    assert audit.verify().first_broken == entry.id


@pytest.mark.django_db
def test_an_entry_without_details_keeps_the_hash_it_had_before_details_existed():
    import hashlib
    import json

    (entry,) = _append(1)
    before = json.dumps([entry.at.isoformat(), "", entry.actor_label, entry.object_type, entry.object_id,
                         entry.action, entry.from_state, entry.to_state, entry.reason, entry.prev_hash],
                        ensure_ascii=False, separators=(",", ":"))
    assert entry.details == {}
    assert entry.hash == hashlib.sha256(before.encode()).hexdigest()


def test_changes_lists_old_and_new_values_and_redacts_what_it_is_told():
    before = {"name": "Nord SARL", "city": "Lille", "turnovers": [{"year": 2025, "amount": "1"}]}
    after = {"name": "Nord SAS", "city": "Lille", "turnovers": [{"year": 2025, "amount": "2"}]}
    assert audit.changes(before, after, redacted={"turnovers"}) == {
        "name": ["Nord SARL", "Nord SAS"], "turnovers": "redacted"}
