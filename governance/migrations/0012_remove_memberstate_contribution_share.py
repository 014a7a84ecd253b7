"""The hand-kept share is gone (carried over by 0011); the state's audit triggers follow."""

import pgtrigger.compiler
import pgtrigger.migrations
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('governance', '0011_contribution_share_from_the_scale'),
    ]

    operations = [
        pgtrigger.migrations.RemoveTrigger(
            model_name='memberstate',
            name='insert_insert',
        ),
        pgtrigger.migrations.RemoveTrigger(
            model_name='memberstate',
            name='update_update',
        ),
        pgtrigger.migrations.RemoveTrigger(
            model_name='memberstate',
            name='delete_delete',
        ),
        migrations.RemoveField(
            model_name='memberstate',
            name='contribution_share',
        ),
        migrations.RemoveField(
            model_name='memberstateevent',
            name='contribution_share',
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='memberstate',
            trigger=pgtrigger.compiler.Trigger(name='insert_insert', sql=pgtrigger.compiler.UpsertTriggerSql(func='INSERT INTO "governance_memberstateevent" ("id", "iso2", "name", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "status", "status_since") VALUES (NEW."id", NEW."iso2", NEW."name", _pgh_attach_context(), NOW(), \'insert\', NEW."id", NEW."status", NEW."status_since"); RETURN NULL;', hash='718d5dfb7f1a1f51309ff00dc8424f6100040a8c', operation='INSERT', pgid='pgtrigger_insert_insert_7ea22', table='governance_memberstate', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='memberstate',
            trigger=pgtrigger.compiler.Trigger(name='update_update', sql=pgtrigger.compiler.UpsertTriggerSql(condition='WHEN (OLD.* IS DISTINCT FROM NEW.*)', func='INSERT INTO "governance_memberstateevent" ("id", "iso2", "name", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "status", "status_since") VALUES (NEW."id", NEW."iso2", NEW."name", _pgh_attach_context(), NOW(), \'update\', NEW."id", NEW."status", NEW."status_since"); RETURN NULL;', hash='9f23c6cd80cda03fdf24ea3cfea84f51522e5242', operation='UPDATE', pgid='pgtrigger_update_update_8695f', table='governance_memberstate', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='memberstate',
            trigger=pgtrigger.compiler.Trigger(name='delete_delete', sql=pgtrigger.compiler.UpsertTriggerSql(func='INSERT INTO "governance_memberstateevent" ("id", "iso2", "name", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "status", "status_since") VALUES (OLD."id", OLD."iso2", OLD."name", _pgh_attach_context(), NOW(), \'delete\', OLD."id", OLD."status", OLD."status_since"); RETURN NULL;', hash='48363aa950b788d439749d2db8d33f0cb3b7394b', operation='DELETE', pgid='pgtrigger_delete_delete_d28b8', table='governance_memberstate', when='AFTER')),
        ),
    ]
