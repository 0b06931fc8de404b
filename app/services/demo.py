"""The demo: the three events of the bureau's plan, dated in the coming weeks."""
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from app.extensions import db
from app.models import Event, StaffUser
from app.services.events import save_event
from app.services.staff import create_staff

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _at(day, hour, minute=0):
    return datetime.combine(day, time(hour, minute), SHANGHAI).isoformat()


def demo_events(today=None):
    today = today or datetime.now(SHANGHAI).date()
    # The next Saturday at least ten days away, then a week later, then the one after.
    first = today + timedelta(days=10)
    first += timedelta(days=(5 - first.weekday()) % 7)
    second = first + timedelta(days=7)
    drive = first + timedelta(days=14)
    opens = _at(today - timedelta(days=1), 9)
    return [
        {
            "slug": "energy-week-open-day",
            "kind": "open_day",
            "title": "公共机构节能宣传周开放日",
            "description": (
                "区机关事务管理局在公共机构节能宣传周期间向市民开放机关办公区。"
                "您将参观屋顶光伏和能耗监测平台，了解机关大院的垃圾分类投放点和"
                "机关食堂的“光盘行动”，并可现场对我们的节能、垃圾分类和餐饮节约工作"
                "提出意见和建议。"
            ),
            "location": "松江区园中路1号 区行政中心1号楼一楼大厅",
            "what_to_bring": "请携带身份证件，入口处出示报名二维码。建议穿平底鞋，参观约需两小时。",
            "registration_opens_at": opens,
            "registration_closes_at": _at(first - timedelta(days=1), 17),
            "max_party_size": 4,
            "waitlist": True,
            "feedback_topics": ["公共机构节能", "垃圾分类", "食堂餐饮节约"],
            "slots": [
                {"key": "am", "label": "上午场", "starts_at": _at(first, 9, 30),
                 "ends_at": _at(first, 11, 30), "capacity": 60, "mode": "onsite"},
                {"key": "pm", "label": "下午场", "starts_at": _at(first, 14),
                 "ends_at": _at(first, 16), "capacity": 60, "mode": "onsite"},
            ],
        },
        {
            "slug": "logistics-open-day",
            "kind": "open_day",
            "title": "后勤管家开放日",
            "description": (
                "“线上+线下”后勤管家开放日：线下走进机关食堂后厨、物业服务中心和"
                "公务用车管理平台；线上通过直播了解后勤服务的日常工作，并在直播间提问。"
            ),
            "location": "松江区园中路1号 区行政中心机关食堂",
            "what_to_bring": "线下参观请提前10分钟到达，凭二维码入场；线上场次报名后在电子票上查看直播链接。",
            "registration_opens_at": opens,
            "registration_closes_at": _at(second - timedelta(days=1), 17),
            "max_party_size": 2,
            "waitlist": True,
            "feedback_topics": ["食堂服务", "物业服务", "公务用车管理"],
            "slots": [
                {"key": "onsite", "label": "线下参观", "starts_at": _at(second, 9, 30),
                 "ends_at": _at(second, 11, 30), "capacity": 40, "mode": "onsite"},
                {"key": "online", "label": "线上直播", "starts_at": _at(second, 14),
                 "ends_at": _at(second, 15), "capacity": 500, "mode": "online",
                 "join_url": "https://live.example.gov.cn/songjiang-logistics"},
            ],
        },
        {
            "slug": "waste-sorting-volunteers",
            "kind": "volunteer",
            "title": "垃圾分类检查志愿者招募",
            "description": (
                "招募垃圾分类检查志愿者，在机关大院各投放点指导干部职工和来访群众"
                "正确分类投放，记录投放情况。服务时长由区机管局记录并出具志愿服务记录证明。"
            ),
            "location": "松江区园中路1号 区行政中心",
            "what_to_bring": "请穿着便于活动的服装；马甲、手套和记录表由现场提供。",
            "registration_opens_at": opens,
            "registration_closes_at": _at(drive - timedelta(days=2), 17),
            "max_party_size": 1,
            "waitlist": False,
            "feedback_topics": ["培训与指导", "现场组织"],
            "slots": [
                {"key": "d1-am", "label": "1号楼投放点 早班", "starts_at": _at(drive, 7, 30),
                 "ends_at": _at(drive, 9, 30), "capacity": 4, "mode": "onsite",
                 "location": "1号楼东侧垃圾厢房"},
                {"key": "d1-noon", "label": "食堂湿垃圾投放点 午班", "starts_at": _at(drive, 11),
                 "ends_at": _at(drive, 13), "capacity": 6, "mode": "onsite",
                 "location": "机关食堂回收台"},
                {"key": "d2-am", "label": "2号楼投放点 早班",
                 "starts_at": _at(drive + timedelta(days=1), 7, 30),
                 "ends_at": _at(drive + timedelta(days=1), 9, 30), "capacity": 4,
                 "mode": "onsite", "location": "2号楼北侧垃圾厢房"},
            ],
        },
    ]


def load_demo(admin_password, today=None):
    """Load the demo events when there are none, and an admin when there is no staff.
    Returns (slugs created, whether the admin was created)."""
    created = []
    if not db.session.execute(select(func.count(Event.id))).scalar():
        for data in demo_events(today):
            event, _ = save_event(data)
            created.append(event.slug)
    admin_created = False
    if not db.session.execute(select(func.count(StaffUser.id))).scalar():
        create_staff("admin", admin_password, "admin", display_name="演示管理员")
        admin_created = True
    return created, admin_created
