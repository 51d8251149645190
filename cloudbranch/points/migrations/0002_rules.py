"""Default point rules and the appraisal score scheme, as data (editable by the organization
department on the rules page). The numbers are this product's defaults, modelled on what
学习强国-style platforms award; a university sets its own."""

from django.db import migrations

RULES = [
    # action, label, points, daily cap, yearly cap, description
    ("read_article", "阅读文章", 1, 6, 0, "完成一篇图文、PDF 或链接资源的学习（达到所需阅读时长）"),
    ("watch_video", "视听学习", 2, 6, 0, "看完一个视频或音频（达到所需观看比例）"),
    ("daily_quiz", "每日答题", 1, 5, 0, "每日答题每答对 1 题 1 分"),
    ("exam_pass", "考试合格", 5, 0, 0, "参加考试并达到及格分（每场考试一次）"),
    ("contest", "知识竞赛", 3, 0, 0, "完成一场知识竞赛"),
    ("duel_win", "双人对战获胜", 2, 4, 0, "双人对战获胜"),
    ("study_task", "完成学习任务", 3, 0, 0, "按期完成组织布置的学习任务"),
    ("meeting_attendance", "参加组织生活", 2, 0, 0, "签到参加三会一课、主题党日等组织生活"),
    ("volunteering", "志愿服务", 3, 0, 0, "完成一次志愿服务"),
    ("post", "发布动态", 1, 2, 0, "在支部动态发布内容"),
    ("adjustment", "积分调整", 0, 0, 0, "管理员更正（正负均可，须写明原因）"),
]


def load(apps, schema_editor):
    PointRule = apps.get_model("points", "PointRule")
    ScoreScheme = apps.get_model("points", "ScoreScheme")
    for action, label, points, daily, yearly, description in RULES:
        PointRule.objects.update_or_create(
            action=action,
            defaults={"label": label, "points": points, "daily_cap": daily, "yearly_cap": yearly, "description": description},
        )
    for year in (2025, 2026, 2027):
        ScoreScheme.objects.update_or_create(
            year=year,
            defaults={
                "base": 60,
                "bonus_max": 30,
                "points_per_bonus_point": 100,
                "appraisal_max": 10,
                "note": "基础分 60 + 积分加分（每 100 积分 1 分，最多 30 分）+ 民主评议 10 分",
            },
        )


def unload(apps, schema_editor):
    apps.get_model("points", "PointRule").objects.filter(action__in=[r[0] for r in RULES]).delete()


class Migration(migrations.Migration):
    dependencies = [("points", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
