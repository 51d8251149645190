"""Fill the database with a fictional university (or a province of universities) and demo logins.

    manage.py seed_demo --scale demo|university|province [--seed N]

demo ≈ 12 colleges, 80 branches, 3,000 people; university ≈ 800 branches, 40,000 people;
province ≈ 10 universities, 8,000 branches, 200,000 people. Running it again finds the root
committee by its code and only adds missing demo accounts. The same ``--seed`` gives the same
names, codes, ID numbers and tree. A year of organizational life (themes, meetings with
attendance and minutes, talks), two years of dues (bases, bills, payments, arrears, one reversal) and
member development (cases at every step, transfers, mobile members, thought reports) and learning (the
question bank, resources in every column, a year of study, daily quizzes, exams, contests, study tasks
and the points ledger with its tallies) and communication (articles with review history and read
receipts, feed posts with photos, message threads) are added once each, also to a database seeded before they existed. Demo accounts (password ``CLOUDBRANCH_DEMO_PASSWORD``,
default ``demo12345``) are created only with DEBUG on or ``CLOUDBRANCH_DEMO_ALLOW=1``.
"""

import argparse
import dataclasses
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from cloudbranch.demo import seeding
from cloudbranch.demo.generator import SCALES

SCALE_LABELS = {"demo": "演示", "university": "大学", "province": "全省"}


class Command(BaseCommand):
    help = "生成演示数据（虚构的大学党组织、人员和演示账号），可重复运行"

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=sorted(SCALES), default="demo", help="数据规模")
        parser.add_argument("--seed", type=int, default=1, help="随机种子：相同种子生成相同的数据")
        # Size overrides, for tests and experiments.
        parser.add_argument("--people", type=int, help=argparse.SUPPRESS)
        parser.add_argument("--branches", type=int, help=argparse.SUPPRESS)
        parser.add_argument("--colleges", type=int, help=argparse.SUPPRESS)

    def handle(self, *args, scale, seed, people=None, branches=None, colleges=None, **options):
        params = SCALES[scale]
        overrides = {k: v for k, v in {"people": people, "branches": branches, "colleges": colleges}.items() if v}
        if overrides:
            params = dataclasses.replace(params, **overrides)
        started = time.monotonic()
        result = seeding.seed(scale=scale, seed=seed, params=params)
        elapsed = time.monotonic() - started

        if result.created:
            c = result.counts
            self.stdout.write(
                self.style.SUCCESS(
                    f"已生成演示数据（{SCALE_LABELS[scale]}规模）：{result.root.name}（编码 {result.root.code}），"
                    f"党组织 {c['units']} 个，人员 {c['people']} 名，委员 {c['committee_memberships']} 名，"
                    f"用时 {elapsed:.1f} 秒。"
                )
            )
        elif result.foreign_root:
            raise CommandError(
                f"编码为 {result.root.code} 的党组织“{result.root.name}”已存在，但不是由 seed_demo 生成的："
                "为免影响真实数据，未生成演示数据，也未创建演示账号。请使用一个新的空数据库。"
            )
        else:
            existing = result.existing_scale
            note = f"（此前按“{SCALE_LABELS.get(existing, existing)}”规模生成）" if existing else ""
            self.stdout.write(f"演示数据已存在：{result.root.name}（编码 {result.root.code}）{note}，未重复生成。")
            if existing and existing != scale:
                self.stderr.write(
                    self.style.WARNING(
                        f"要生成“{SCALE_LABELS[scale]}”规模的数据，请使用一个新的空数据库（CLOUDBRANCH_DATA_DIR 或 DATABASE_URL）。"
                    )
                )
        if result.life:
            c = result.life
            self.stdout.write(
                f"{'已生成' if result.created else '已补充生成'}一年的组织生活：月度主题 {c['themes']} 个，会议活动 {c.get('meetings', 0)} 次"
                f"（联合 {c.get('joint_meetings', 0)} 次），参会记录 {c.get('invitees', 0)} 条，"
                f"谈心谈话 {c.get('talks', 0)} 次，用时 {c['seconds']:.1f} 秒。"
            )
        elif result.life_skipped:
            self.stderr.write(
                self.style.WARNING(
                    "未生成组织生活数据：需要演示账号 admin 作为创建人。创建演示账号后重新运行即可补上。"
                )
            )
        if result.fees:
            c = result.fees
            self.stdout.write(
                f"{'已生成' if result.created else '已补充生成'}两年的党费数据：党员 {c['members']} 名，缴费基数 {c['bases']} 条，"
                f"账单 {c['bills']} 张（已缴 {c.get('bills_paid', 0)}，待缴 {c.get('bills_open', 0)}，免缴 {c.get('bills_exempt', 0)}），"
                f"在线支付订单 {c.get('orders', 0)} 笔，台账记录 {c.get('entries', 0)} 条，"
                f"待处理欠缴 {c.get('arrears_cases', 0)} 人，用时 {c['seconds']:.1f} 秒。"
            )
        elif result.fees_skipped:
            self.stderr.write(
                self.style.WARNING("未生成党费数据：需要演示账号 admin 作为记录人。创建演示账号后重新运行即可补上。")
            )
        if result.development:
            c = result.development
            self.stdout.write(
                f"{'已生成' if result.created else '已补充生成'}发展党员数据：发展案例 {c['cases']} 个"
                f"（进行中 {c.get('cases_open', 0)}，已转正 {c.get('cases_completed', 0)}，已终止 {c.get('cases_terminated', 0)}；"
                f"进行中的按期 {c.get('open_on_time', 0)}、30 天内到期 {c.get('open_due_soon', 0)}、已逾期 {c.get('open_overdue', 0)}），"
                f"步骤记录 {c.get('records', 0)} 条，覆盖步骤 {c.get('steps_covered', 0)} 个，新生递交申请 {c.get('freshmen_applied', 0)} 名，"
                f"公示 {c.get('notices', 0)} 条，思想汇报 {c.get('thought_reports', 0)} 份，组织关系转接 {c.get('transfers', 0)} 件，"
                f"流动党员 {c.get('mobile_records', 0)} 名，失联党员 {c.get('lost_contacts', 0)} 名，用时 {c['seconds']:.1f} 秒。"
            )
        elif result.development_skipped:
            self.stderr.write(
                self.style.WARNING(
                    "未生成发展党员数据：需要演示账号 admin 作为记录人。创建演示账号后重新运行即可补上。"
                )
            )
        if result.learning:
            c = result.learning
            self.stdout.write(
                f"{'已生成' if result.created else '已补充生成'}一年的学习数据：题库 {c['questions']} 道，"
                f"学习资源 {c['resources']} 篇（其中学院发布 {c.get('resources_by_colleges', 0)} 篇），专题 {c.get('topics', 0)} 个，"
                f"学员 {c['learners']} 名，完成学习 {c.get('resources_completed', 0)} 次，每日答题 {c.get('daily_quizzes', 0)} 次，"
                f"答题记录 {c.get('answer_records', 0)} 条，错题 {c.get('wrong_answers', 0)} 条，"
                f"考试 {c.get('papers', 0)} 场（答卷 {c.get('attempts', 0)} 份），竞赛 {c.get('contests', 0)} 场"
                f"（参赛 {c.get('contest_entries', 0)} 人次），对战 {c.get('duels', 0)} 场，学习任务 {c.get('tasks', 0)} 个，"
                f"积分记录 {c.get('point_events', 0)} 条（共 {c.get('points', 0)} 分），积分汇总 {c.get('point_tallies', 0)} 条，"
                f"用时 {c['seconds']:.1f} 秒。"
            )
        elif result.learning_skipped:
            self.stderr.write(
                self.style.WARNING(
                    "未生成学习数据：需要演示账号 admin 作为题库创建人。创建演示账号后重新运行即可补上。"
                )
            )
        if result.news:
            c = result.news
            self.stdout.write(
                f"{'已生成' if result.created else '已补充生成'}宣传与留言数据：文章 {c['articles']} 篇"
                f"（已发布 {c.get('articles_published', 0)}，置顶 {c.get('articles_pinned', 0)}，党务公开 {c.get('disclosures', 0)}），"
                f"审核记录 {c.get('reviews', 0)} 条，阅读回执 {c.get('receipts', 0)} 条，"
                f"动态 {c.get('posts', 0)} 条（照片 {c.get('photos', 0)} 张，点赞 {c.get('likes', 0)} 个），"
                f"评论 {c.get('comments', 0)} 条（待审核 {c.get('comments_held', 0)}），"
                f"留言 {c.get('messages', 0)} 条（回复 {c.get('message_replies', 0)} 条），"
                f"积分记录 {c.get('point_events', 0)} 条，用时 {c['seconds']:.1f} 秒。"
            )
        elif result.news_skipped:
            self.stderr.write(
                self.style.WARNING(
                    "未生成宣传与留言数据：需要演示账号 admin 作为发布人。创建演示账号后重新运行即可补上。"
                )
            )
        if result.accounts_refused:
            self.stderr.write(
                self.style.WARNING(
                    "DEBUG 未开启：为安全起见，不创建演示账号。"
                    "如确需在此环境使用演示账号（例如基准测试），请设置 CLOUDBRANCH_DEMO_ALLOW=1 后重新运行。"
                )
            )
        elif result.accounts:
            self._logins_table(result.accounts)
            self._activation_tries(result.root)

    def _logins_table(self, rows):
        password = settings.DEMO_PASSWORD
        self.stdout.write("")
        self.stdout.write("演示账号（登录地址 /accounts/login/）：")
        header = ("用户名", "角色", "所在组织", "密码")
        table = [header] + [
            (r.username, r.role, r.unit, password if r.created else f"{password}（已存在，未改动）") for r in rows
        ]
        widths = [max(_width(row[i]) for row in table) for i in range(3)]
        for row in table:
            cells = [row[i] + " " * (widths[i] - _width(row[i])) for i in range(3)]
            self.stdout.write("  " + "  ".join(cells) + "  " + row[3])

    def _activation_tries(self, root):
        tries = seeding.activation_tries(root)
        if not tries:
            return
        self.stdout.write("")
        self.stdout.write("可用于试用“激活账号”（/activate/）的名册人员（验证码见服务器日志）：")
        for t in tries:
            self.stdout.write(f"  {t['name']}  身份证号 {t['id_number']}  学号工号 {t['staff_number']}  {t['unit']}")


def _width(text: str) -> int:
    """Display width in a terminal: CJK characters take two columns."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)
