"""One circulation record for admissions: the state's membership request. ``Motion.request_circulated_on``
is removed; where an admission motion was tabled from a request, its date is carried into the request
(the motion's date is the one its ballot's 3 months' notice was checked against, so it wins where the
two disagree and the request's constraint allows it). Also: programme participants join the audit trail.
"""

import django.db.models.deletion
import pgtrigger.compiler
import pgtrigger.migrations
import pghistory
from django.db import migrations, models


def carry_circulation_dates_into_requests(apps, schema_editor):
    Motion = apps.get_model("governance", "Motion")
    MembershipRequest = apps.get_model("governance", "MembershipRequest")
    with pghistory.context(reason="migration: one circulation record (the membership request)"):
        for motion in Motion.objects.filter(request_circulated_on__isnull=False).order_by("pk"):
            request = MembershipRequest.objects.filter(motion_id=motion.pk).first()
            on = motion.request_circulated_on
            if request is None or request.circulated_on == on or on < request.received_on:
                continue
            request.circulated_on = on
            request.save(update_fields=["circulated_on"])


def _participant_triggers(apps, schema_editor, *, install):
    """The programme-participant link table is created with the programme, so the migration framework
    does not carry its audit triggers: install them here (as accounts 0002 does for user groups)."""
    import pgtrigger

    for model, trigger in pgtrigger.registered():
        if model._meta.auto_created and model._meta.db_table == "governance_programme_participants":
            action = trigger.install if install else trigger.uninstall
            action(model, database=schema_editor.connection.alias)


def install_participant_triggers(apps, schema_editor):
    _participant_triggers(apps, schema_editor, install=True)


def uninstall_participant_triggers(apps, schema_editor):
    _participant_triggers(apps, schema_editor, install=False)


class Migration(migrations.Migration):

    dependencies = [
        ('governance', '0010_merge_membership'),
        ('pghistory', '0007_auto_20250421_0444'),
    ]

    operations = [
        migrations.RunPython(carry_circulation_dates_into_requests, migrations.RunPython.noop),
        migrations.CreateModel(
            name='ProgrammeParticipantEvent',
            fields=[
                ('pgh_id', models.AutoField(primary_key=True, serialize=False)),
                ('pgh_created_at', models.DateTimeField(auto_now_add=True)),
                ('pgh_label', models.TextField(help_text='The event label.')),
                ('id', models.BigIntegerField()),
            ],
            options={
                'abstract': False,
            },
        ),
        pgtrigger.migrations.RemoveTrigger(
            model_name='motion',
            name='insert_insert',
        ),
        pgtrigger.migrations.RemoveTrigger(
            model_name='motion',
            name='update_update',
        ),
        pgtrigger.migrations.RemoveTrigger(
            model_name='motion',
            name='delete_delete',
        ),
        migrations.RemoveField(
            model_name='motion',
            name='request_circulated_on',
        ),
        migrations.RemoveField(
            model_name='motionevent',
            name='request_circulated_on',
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='motion',
            trigger=pgtrigger.compiler.Trigger(name='insert_insert', sql=pgtrigger.compiler.UpsertTriggerSql(func='INSERT INTO "governance_motionevent" ("id", "item_id", "kind", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "programme_id", "resolution_number", "status", "text", "title", "withdrawal_reason", "withdrawn_at") VALUES (NEW."id", NEW."item_id", NEW."kind", _pgh_attach_context(), NOW(), \'insert\', NEW."id", NEW."programme_id", NEW."resolution_number", NEW."status", NEW."text", NEW."title", NEW."withdrawal_reason", NEW."withdrawn_at"); RETURN NULL;', hash='ba7424bf0ce37ac441a13723a9e186db2f20c363', operation='INSERT', pgid='pgtrigger_insert_insert_fbc9b', table='governance_motion', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='motion',
            trigger=pgtrigger.compiler.Trigger(name='update_update', sql=pgtrigger.compiler.UpsertTriggerSql(condition='WHEN (OLD.* IS DISTINCT FROM NEW.*)', func='INSERT INTO "governance_motionevent" ("id", "item_id", "kind", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "programme_id", "resolution_number", "status", "text", "title", "withdrawal_reason", "withdrawn_at") VALUES (NEW."id", NEW."item_id", NEW."kind", _pgh_attach_context(), NOW(), \'update\', NEW."id", NEW."programme_id", NEW."resolution_number", NEW."status", NEW."text", NEW."title", NEW."withdrawal_reason", NEW."withdrawn_at"); RETURN NULL;', hash='cbd74b39156a075a996014d5b2f278761f846d7f', operation='UPDATE', pgid='pgtrigger_update_update_e61e4', table='governance_motion', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='motion',
            trigger=pgtrigger.compiler.Trigger(name='delete_delete', sql=pgtrigger.compiler.UpsertTriggerSql(func='INSERT INTO "governance_motionevent" ("id", "item_id", "kind", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "programme_id", "resolution_number", "status", "text", "title", "withdrawal_reason", "withdrawn_at") VALUES (OLD."id", OLD."item_id", OLD."kind", _pgh_attach_context(), NOW(), \'delete\', OLD."id", OLD."programme_id", OLD."resolution_number", OLD."status", OLD."text", OLD."title", OLD."withdrawal_reason", OLD."withdrawn_at"); RETURN NULL;', hash='968168aa0da7f5ae025eb64c69a1fb63344cb055', operation='DELETE', pgid='pgtrigger_delete_delete_465a2', table='governance_motion', when='AFTER')),
        ),
        migrations.AddField(
            model_name='programmeparticipantevent',
            name='memberstate',
            field=models.ForeignKey(db_constraint=False, db_tablespace='', on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', related_query_name='+', to='governance.memberstate'),
        ),
        migrations.AddField(
            model_name='programmeparticipantevent',
            name='pgh_context',
            field=models.ForeignKey(db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='pghistory.context'),
        ),
        migrations.AddField(
            model_name='programmeparticipantevent',
            name='pgh_obj',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='events', to='governance.programme_participants'),
        ),
        migrations.AddField(
            model_name='programmeparticipantevent',
            name='programme',
            field=models.ForeignKey(db_constraint=False, db_tablespace='', on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', related_query_name='+', to='governance.programme'),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='programmeparticipantevent',
            trigger=pgtrigger.compiler.Trigger(name='append_only', sql=pgtrigger.compiler.UpsertTriggerSql(func="RAISE EXCEPTION 'pgtrigger: Cannot update or delete rows from % table', TG_TABLE_NAME;", hash='5548f1b0abb67de135e43b655fcbcd15e54de065', operation='UPDATE OR DELETE', pgid='pgtrigger_append_only_3871a', table='governance_programmeparticipantevent', when='BEFORE')),
        ),
        migrations.RunPython(install_participant_triggers, uninstall_participant_triggers),
    ]
