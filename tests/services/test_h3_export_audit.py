"""The audit log says how many records each export took out of the system (PIPL: who took
what, when, and how much), as the volunteer-hours export already did."""
from sqlalchemy import select

from app.models import AuditLog
from app.services import feedback as feedback_service
from tests.feedback_factories import answers, started_slots


def test_every_export_names_how_many_records_it_took(mid_quarter, client, auth, db, make_event,
                                                     make_registration):
    from app.services.reports import current_quarter

    event = make_event(slots=started_slots(hours_ago=3))
    people = [make_registration(event, phone=f"1391234567{i}") for i in range(3)]
    feedback_service.submit(event, answers(1, comment="太挤了"), registration=people[0])
    feedback_service.submit(event, answers(4), registration=people[1])
    db.session.commit()
    year, quarter = current_quarter()
    auth.login("admin")
    for path in (f"/staff/events/{event.slug}/export/registrations.csv",
                 f"/staff/events/{event.slug}/export/feedback.xlsx",
                 f"/staff/events/{event.slug}/export/follow-ups.csv",
                 "/staff/follow-ups/export.csv",
                 f"/staff/report/export.csv?year={year}&quarter={quarter}"):
        response = client.get(path)
        assert response.status_code == 200, path
        response.get_data()  # the whole file, as a browser downloads it
    rows = db.session.execute(select(AuditLog).where(AuditLog.action == "export")
                              .order_by(AuditLog.id)).scalars().all()
    assert [(r.detail["export"], r.detail.get("rows")) for r in rows] == [
        ("registrations", 3), ("feedback", 2), ("follow_ups", 1), ("follow_ups", 1),
        ("report", 1)]  # the report: one event held
    page = client.get("/staff/audit?action=export").get_data(as_text=True)
    assert "记录条数" in page
    assert "1391234567" not in repr([r.detail for r in rows])
