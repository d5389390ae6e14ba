"""The monthly brief: written once per district and month from the figures,
sent to the district's admins as a notice linking to its .docx."""

import io
from datetime import datetime

from docx import Document

from civicgrid.access.models import AuditLog
from civicgrid.insights import services, tasks
from civicgrid.insights.models import Brief
from civicgrid.notify.models import Notice
from tests.insights.conftest import LHASA

JUNE = datetime(2026, 6, 3, 9, 0, tzinfo=LHASA)


def test_last_months_brief_is_written_once_and_sent(scene, clock, personas, places):
    clock.move_to(JUNE)
    assert tasks.write_monthly_briefs.call() == {"written": 1}
    brief = Brief.objects.get()
    assert (brief.place, str(brief.first), str(brief.last)) == (
        places["district"],
        "2026-05-01",
        "2026-05-31",
    )
    assert brief.title == "城关区2026年5月工作简报"
    assert "累计排查处置各类风险隐患4个,化解率达50%。" in brief.body
    notice = Notice.objects.get(url__startswith="/insights/briefs/")
    assert notice.user == personas["admin"]
    assert brief.title in notice.message and notice.url == f"/insights/briefs/{brief.pk}.docx"
    # Again (the job runs daily, a retry): nothing new, nobody told twice.
    assert tasks.write_monthly_briefs.call() == {"written": 0}
    assert Brief.objects.count() == 1
    assert Notice.objects.filter(url__startswith="/insights/briefs/").count() == 1


def test_a_district_without_admins_gets_no_brief(places, clock):
    clock.move_to(JUNE)
    assert services.briefs_for_last_month() == []
    assert not Brief.objects.exists()


def test_the_brief_file_is_the_kept_text_for_its_readers_only(scene, clock, personas, client_for):
    clock.move_to(JUNE)
    services.briefs_for_last_month()
    brief = Brief.objects.get()
    response = client_for(personas["admin"]).get(f"/insights/briefs/{brief.pk}.docx")
    assert response.status_code == 200
    word = Document(io.BytesIO(b"".join(response.streaming_content)))
    assert word.paragraphs[0].text == brief.title
    assert AuditLog.objects.filter(object_type="insights.summary", user=personas["admin"]).exists()
    # Community staff below the district do not read the district's brief.
    assert (
        client_for(personas["staff_a"]).get(f"/insights/briefs/{brief.pk}.docx").status_code == 404
    )
