"""The contribution share is no longer typed in on the member state: it is the adopted scale in force
for the year (finance), snapshotted into each ballot's electorate at opening (ElectorateEntry.share).

Nothing stored is lost: when states have hand-kept shares and no adopted scale covers this year, the
shares become an adopted scale version for this year, marked as adopted by an earlier decision (the
Council adopted it before the portal recorded its ballots). If an adopted scale already covers this
year, it is the one in force and the hand-kept shares are kept in the member states' audit history.
Entries of ballots opened before this migration get the shares as they were (the weights they were
counted with)."""

import pgtrigger.compiler
import pgtrigger.migrations
from django.db import migrations, models



def carry_over_the_shares(apps, schema_editor):
    from django.utils import timezone

    MemberState = apps.get_model("governance", "MemberState")
    ElectorateEntry = apps.get_model("governance", "ElectorateEntry")
    ScaleVersion = apps.get_model("finance", "ScaleVersion")
    ScaleShare = apps.get_model("finance", "ScaleShare")
    shares = {
        s.id: s.contribution_share
        for s in MemberState.objects.filter(contribution_share__gt=0, contribution_share__lte=100)
    }
    if not shares:
        return
    for state_id, share in shares.items():
        ElectorateEntry.objects.filter(state_id=state_id).update(share=share)
    year = timezone.localdate().year
    if ScaleVersion.objects.filter(status="adopted", first_year__lte=year, last_year__gte=year).exists():
        return
    now = timezone.now()
    version = ScaleVersion.objects.create(
        title=f"Shares as published before {year + 1}",
        first_year=year,
        last_year=year,
        status="adopted",
        decision="Shares recorded by hand on the member states before the portal computed scales",
        redistribution="Carried over as published; not computed from NNI statistics.",
        computed_at=now,
        adopted_at=now,
    )
    ScaleShare.objects.bulk_create(
        ScaleShare(
            version=version,
            state_id=state_id,
            nni_years="",
            nni_average_cents=0,
            raw_share=share,
            share=share,
            bound="",
        )
        for state_id, share in shares.items()
    )


class Migration(migrations.Migration):

    dependencies = [
        ('governance', '0010_merge_membership'),
        ('finance', '0003_scale_adopted_by_an_earlier_decision'),
    ]

    operations = [
        migrations.AddField(
            model_name='electorateentry',
            name='share',
            field=models.DecimalField(blank=True, decimal_places=6, max_digits=9, null=True, verbose_name='contribution share used (%)'),
        ),
        migrations.RunPython(carry_over_the_shares, migrations.RunPython.noop),
    ]
