"""Rule set "2014": the 25 steps of 中国共产党发展党员工作细则 (2014) as data, and the 2025–2026
public-holiday adjustments used to count public-notice periods in working days.

Each step quotes the article it comes from. Where the text gives no number and the university
follows a common practice instead, the source says so ("本校规定（可配置）"). A later rule set
(the revised 细则 of May 2026, once its text is checked) is added by a new migration with its
own ``valid_from``; cases keep the rule set they started under.
"""

import datetime

from django.db import migrations

XIZE = "中国共产党发展党员工作细则（2014年6月）"

# (number, code, stage, name, recorder, prerequisites, intervals, requirements, documents, repeatable,
#  sets_status, sets_date_field, date_from_step, completes_case, source, description)
STEPS = [
    (
        1, "application", 1, "递交入党申请书", "branch", [], [],
        {"min_age": 18}, ["application"], False, "applicant", "applied_on", "", False,
        "第五条：年满十八岁的……先进分子……可以申请加入中国共产党。第六条：入党申请人应当向工作、学习所在单位党组织提出入党申请。",
        "申请人本人书面提出；以党组织收到申请书的日期为申请日期。",
    ),
    (
        2, "talk", 1, "党组织派人谈话", "branch", ["application"],
        [{"from": "application", "due": {"months": 1}, "source": "第七条：党组织收到入党申请书后，应当在一个月内派人同入党申请人谈话"}],
        {}, ["talk_record"], False, "", "", "", False,
        "第七条：党组织收到入党申请书后，应当在一个月内派人同入党申请人谈话，了解基本情况。",
        "谈话人一般为支部书记、组织委员或党员；谈话记录归档。",
    ),
    (
        3, "activist", 2, "推荐和确定入党积极分子", "branch", ["talk"], [],
        {"recommendation": ["党员推荐", "群团组织推优"]}, ["recommendation"], False, "activist", "activist_on", "", False,
        "第八条：在入党申请人中确定入党积极分子，应当采取党员推荐、群团组织推优等方式产生人选，由支部委员会（不设支部委员会的由支部大会）研究决定，并报上级党委备案。",
        "记录推荐方式和支委会研究决定的日期。",
    ),
    (
        4, "activist_filing", 2, "上级党委备案", "branch", ["activist"], [],
        {}, ["filing"], False, "", "", "", False,
        "第八条：……由支部委员会研究决定，并报上级党委备案。",
        "记录报上级党委备案的日期。",
    ),
    (
        5, "sponsors", 2, "指定培养联系人", "branch", ["activist"], [],
        {"sponsors": [1, 2]}, [], False, "", "", "", False,
        "第九条：党组织应当指定一至两名正式党员作入党积极分子的培养联系人。",
        "培养联系人须为正式党员；可以更换，历史保留。",
    ),
    (
        6, "activist_assessment", 2, "培养教育考察", "branch", ["sponsors"],
        [{"from": "activist", "due": {"months": 6}, "source": "第十一条：党组织每半年对入党积极分子进行一次考察"}],
        {"every_months": 6}, ["assessment"], True, "", "", "", False,
        "第十条：党组织应当采取吸收入党积极分子听党课、参加党内有关活动……等方法进行培养教育。第十一条：党组织每半年对入党积极分子进行一次考察。",
        "每半年记录一次考察，下一次期限从上一次考察日期起算。",
    ),
    (
        7, "candidate", 3, "确定发展对象", "branch", ["activist_filing", "activist_assessment"],
        [{"from": "activist", "min": {"years": 1}, "source": "第十三条：对经过一年以上培养教育和考察、基本具备党员条件的入党积极分子……可列为发展对象"}],
        {"min_records": {"activist_assessment": 2}}, ["committee_review"], False, "candidate", "candidate_on", "", False,
        "第十三条：对经过一年以上培养教育和考察、基本具备党员条件的入党积极分子，在听取党小组、培养联系人、党员和群众意见的基础上，支部委员会讨论同意并报上级党委备案后，可列为发展对象。",
        "满一年：确定为积极分子之日一年后的同一日（2月29日对应次年2月28日）即可；一年内每半年一次考察，至少两次。",
    ),
    (
        8, "candidate_filing", 3, "报上级党委备案", "branch", ["candidate"], [],
        {}, ["filing"], False, "", "", "", False,
        "第十三条：……支部委员会讨论同意并报上级党委备案后，可列为发展对象。",
        "",
    ),
    (
        9, "introducers", 3, "确定入党介绍人", "branch", ["candidate"], [],
        {"introducers": 2}, [], False, "", "", "", False,
        "第十四条：发展对象应当有两名正式党员作入党介绍人。入党介绍人一般由培养联系人担任，也可由党组织指定。",
        "",
    ),
    (
        10, "political_review", 3, "进行政治审查", "branch", ["candidate"], [],
        {"conclusion": True}, ["political_review"], False, "", "", "", False,
        "第十五条、第十六条：政治审查的主要内容……基本方法是同本人谈话、查阅有关材料、找有关单位和人员了解情况以及必要的函调或外调；政治审查必须形成结论性材料。凡是没有经过政治审查或者政治审查不合格的，不能发展入党。",
        "审查结论须为合格；不合格的应终止发展。",
    ),
    (
        11, "training", 3, "开展集中培训", "branch", ["candidate"], [],
        {"training": {"days": 3, "hours": 24}}, ["training_certificate"], False, "", "", "", False,
        "第十七条：……对发展对象进行短期集中培训。培训时间一般不少于三天（或不少于二十四个学时）。",
        "记录培训天数和学时，二者满足其一。",
    ),
    (
        12, "branch_review", 4, "支部委员会审查", "branch",
        ["candidate_filing", "introducers", "political_review", "training"], [],
        {}, ["committee_review"], False, "", "", "", False,
        "第十八条：支部委员会对发展对象进行严格审查，经集体讨论认为合格后，报具有审批权限的基层党委预审。",
        "审查合格后对发展对象进行公示，公示期满再报党委预审。",
    ),
    (
        13, "pre_review", 4, "上级党委预审", "committee", ["branch_review"], [],
        {"public_notice": "candidate"}, ["pre_review", "public_notice"], False, "", "", "", False,
        "第十九条：基层党委对发展对象的条件、培养教育等情况进行审查……审查结果书面通知党支部，并向审查合格的发展对象发放《中国共产党入党志愿书》。公示期为本校规定（通行为5个工作日，可配置）。",
        "须在发展对象公示期满后进行。",
    ),
    (
        14, "admission_form", 4, "填写入党志愿书", "branch", ["pre_review"], [],
        {}, ["admission_form"], False, "", "", "", False,
        "第十九条：……向审查合格的发展对象发放《中国共产党入党志愿书》。",
        "",
    ),
    (
        15, "admission_vote", 4, "支部大会讨论", "branch", ["admission_form"], [],
        {"vote": True, "leaving_months": 3}, ["vote_record"], False, "", "", "", False,
        "第十九条：发展对象未来三个月内将离开工作、学习单位的，一般不办理接收预备党员的手续。第二十条：召开讨论接收预备党员的支部大会，有表决权的到会人数必须超过应到会有表决权人数的半数；赞成人数超过应到会有表决权的正式党员的半数，才能通过；因故不能到会的有表决权的党员在会前正式提出书面意见的，应当统计在票数内。第二十一条：讨论两个以上的人入党时，应当逐个讨论和表决。",
        "记录应到会、实到会、书面意见和赞成、反对、弃权票数；无记名投票。",
    ),
    (
        16, "committee_talk", 4, "上级党委派人谈话", "committee", ["admission_vote"], [],
        {}, ["committee_talk"], False, "", "", "", False,
        "第四章（预备党员的接收）：基层党委审批前，应当指派党委委员或组织员同发展对象谈话，作进一步的了解。",
        "",
    ),
    (
        17, "approval", 4, "上级党委审批", "committee", ["committee_talk"],
        [{
            "from": "admission_vote", "due": {"months": 3}, "limit": {"months": 6},
            "source": "第四章（预备党员的接收）：上级党委对党支部上报的接收预备党员的决议，应当在三个月内审批；因特殊情况可适当延长审批时间，但不得超过六个月",
        }],
        {"decision": True, "enters_stage": 5}, ["approval"], False, "probationary", "joined_on", "admission_vote", False,
        "第四章（预备党员的接收）：基层党委审批发展党员，应当集体讨论和表决；对党支部上报的接收预备党员的决议，应当在三个月内审批，因特殊情况可适当延长审批时间，但不得超过六个月。",
        "入党时间（预备期起算）为支部大会通过之日。",
    ),
    (
        18, "approval_filing", 4, "再上一级党委组织部门备案", "committee", ["approval"], [],
        {}, ["filing"], False, "", "", "", False,
        "第四章（预备党员的接收）：……审批后报上级党委组织部门备案。",
        "",
    ),
    (
        19, "assign_group", 5, "编入党支部和党小组", "branch", ["approval"], [],
        {}, [], False, "", "", "", False,
        "第五章（预备党员的教育、考察和转正）：党支部应当及时把预备党员编入党支部和党小组。",
        "",
    ),
    (
        20, "oath", 5, "入党宣誓", "branch", ["approval"], [],
        {}, ["oath"], False, "", "", "", False,
        "第五章（预备党员的教育、考察和转正）：预备党员必须面向党旗进行入党宣誓。入党宣誓仪式一般由基层党委或党支部组织。",
        "",
    ),
    (
        21, "probation_assessment", 5, "继续教育考察", "branch", ["assign_group"],
        [{"from": "approval", "due": {"months": 6}, "source": "本校规定（可配置）：每半年对预备党员考察一次"}],
        {"every_months": 6}, ["assessment"], True, "", "", "", False,
        "第五章（预备党员的教育、考察和转正）：党组织应当对预备党员继续进行教育和考察。考察频次为本校规定（每半年一次，可配置）。",
        "",
    ),
    (
        22, "confirmation_application", 5, "提出转正申请", "branch", ["oath", "probation_assessment"],
        [{"from": "probation_end", "min": {"months": -1}, "due": {"days": 0}, "source": "第五章：预备党员预备期满时，应当主动向党组织提出书面转正申请（本校规定：满期前一个月内提出）"}],
        {}, ["confirmation_application"], False, "", "", "", False,
        "第五章（预备党员的教育、考察和转正）：预备党员预备期满，应当主动向党组织提出书面转正申请。",
        "预备期一年，从支部大会通过之日起算；延长的加上延长期。",
    ),
    (
        23, "confirmation_vote", 5, "支部大会讨论", "branch", ["confirmation_application"],
        [{"from": "probation_end", "min": {"days": 0}, "due": {"months": 1}, "source": "第三十三条：预备党员预备期满，党支部应当及时讨论其能否转为正式党员（本校规定：一个月内讨论）"}],
        {"vote": True}, ["vote_record"], False, "", "", "", False,
        "第三十三条：预备党员预备期满，党支部应当及时讨论其能否转为正式党员；支部大会讨论、表决的要求与接收预备党员相同。",
        "表决结果可为按期转正、延长预备期或取消预备党员资格。",
    ),
    (
        24, "confirmation_approval", 5, "上级党委审批", "committee", ["confirmation_vote"],
        [{"from": "confirmation_vote", "due": {"months": 3}, "source": "第三十三条：党支部讨论预备党员转正的决议，上级党委应当在三个月内审批"}],
        {"decision": True}, ["approval"], False, "full", "confirmed_on", "probation_end", False,
        "第三十三条：……上级党委应当在三个月内审批。预备党员的转正时间为预备期满之日。",
        "转正时间为预备期满之日（延长的为延长期满之日）。",
    ),
    (
        25, "archive", 5, "材料归档", "branch", ["confirmation_approval"], [],
        {}, [], False, "", "", "", True,
        "第五章（预备党员的教育、考察和转正）：党员转正后，入党志愿书、转正申请书和转正材料存入本人人事档案。",
        "归档后本发展过程结束。",
    ),
]

# 国务院办公厅关于2025年、2026年部分节假日安排的通知: weekday holidays and weekend working days.
HOLIDAYS = {
    2025: (
        ["01-01", "01-28", "01-29", "01-30", "01-31", "02-03", "02-04", "04-04", "05-01", "05-02", "05-05",
         "06-02", "10-01", "10-02", "10-03", "10-06", "10-07", "10-08"],
        ["01-26", "02-08", "04-27", "09-28", "10-11"],
    ),
    2026: (
        ["01-01", "01-02", "02-16", "02-17", "02-18", "02-19", "02-20", "02-23", "04-06", "05-01", "05-04",
         "05-05", "06-19", "09-25", "10-01", "10-02", "10-05", "10-06", "10-07"],
        ["01-04", "02-14", "02-28", "05-09", "09-20", "10-10"],
    ),
}

FIELDS = (
    "number", "code", "stage", "name", "recorder", "prerequisites", "intervals", "requirements", "documents",
    "repeatable", "sets_status", "sets_date_field", "date_from_step", "completes_case", "source", "description",
)


def load(apps, schema_editor):
    RuleSet = apps.get_model("development", "RuleSet")
    RuleStep = apps.get_model("development", "RuleStep")
    CalendarDay = apps.get_model("development", "CalendarDay")
    rule_set, _ = RuleSet.objects.update_or_create(
        code="2014",
        defaults={
            "title": XIZE,
            "valid_from": datetime.date(2014, 6, 10),
            "source": XIZE + "，中共中央办公厅2014年6月10日印发",
            "public_notice_workdays": 5,
            "probation_months": 12,
            "extension_min_months": 6,
            "extension_max_months": 12,
            "extension_source": "第三十二条：预备党员……需要继续教育和考察的，可以延长一次预备期，延长时间不能少于半年，最长不超过一年。",
            "reminder_days": 14,
        },
    )
    for row in STEPS:
        values = dict(zip(FIELDS, row, strict=True))
        RuleStep.objects.update_or_create(rule_set=rule_set, code=values.pop("code"), defaults=values)
    for year, (holidays, workdays) in HOLIDAYS.items():
        for md in holidays:
            CalendarDay.objects.update_or_create(
                date=datetime.date.fromisoformat(f"{year}-{md}"), defaults={"is_workday": False, "note": "法定节假日"}
            )
        for md in workdays:
            CalendarDay.objects.update_or_create(
                date=datetime.date.fromisoformat(f"{year}-{md}"), defaults={"is_workday": True, "note": "调休上班"}
            )


def unload(apps, schema_editor):
    apps.get_model("development", "RuleSet").objects.filter(code="2014").delete()


class Migration(migrations.Migration):
    dependencies = [("development", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
