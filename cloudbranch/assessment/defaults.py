"""The default indicator set offered when an officer creates a set (data, not code): 100 points
over the areas a branch is held to. Officers edit, drop or add indicators afterwards while the
set is a draft; the figures come from the metric catalogue (``core.metrics``)."""

DEFAULT_INDICATORS: list[dict] = [
    # 组织生活：required meetings actually held (三会一课 compliance); full marks at 100 %.
    {
        "name": "组织生活",
        "metric_key": "life.compliance_rate",
        "rule": "linear",
        "params": {"target": "100", "floor": "0"},
        "max_score": "25",
        "description": "“三会一课”等组织生活按规定召开的比例，100% 得满分。",
    },
    # 出勤：attendance of invitees at meetings; bands 95 / 90 / 80 %.
    {
        "name": "出勤",
        "metric_key": "life.attendance_rate",
        "rule": "thresholds",
        "params": {
            "bands": [{"min": "95", "share": "1"}, {"min": "90", "share": "0.8"}, {"min": "80", "share": "0.6"}]
        },
        "max_score": "10",
        "description": "党员参加组织生活的出勤率：≥95% 满分，≥90% 得 80%，≥80% 得 60%。",
    },
    # 学习：study tasks completed; 0 at 60 %, full marks at 100 %.
    {
        "name": "学习",
        "metric_key": "learning.task_completion_rate",
        "rule": "linear",
        "params": {"target": "100", "floor": "60"},
        "max_score": "15",
        "description": "学习任务完成率，60% 及以下不得分，100% 得满分。",
    },
    # 发展：development steps recorded on time.
    {
        "name": "发展",
        "metric_key": "development.on_time_rate",
        "rule": "linear",
        "params": {"target": "100", "floor": "0"},
        "max_score": "10",
        "description": "发展党员各环节按期完成的比例。",
    },
    # 党费：dues paid of dues expected; bands 100 / 95 / 90 %.
    {
        "name": "党费",
        "metric_key": "dues.payment_rate",
        "rule": "thresholds",
        "params": {
            "bands": [{"min": "100", "share": "1"}, {"min": "95", "share": "0.8"}, {"min": "90", "share": "0.5"}]
        },
        "max_score": "15",
        "description": "党费按时足额交纳率：100% 满分，≥95% 得 80%，≥90% 得 50%。",
    },
    # 任务：tasks of the upper units completed on time.
    {
        "name": "任务",
        "metric_key": "tasks.on_time_rate",
        "rule": "linear",
        "params": {"target": "100", "floor": "0"},
        "max_score": "15",
        "description": "上级交办任务按期完成率。",
    },
    # 志愿服务：volunteering hours per Party member; full marks at 10 hours.
    {
        "name": "志愿服务",
        "metric_key": "service.hours_per_member",
        "rule": "linear",
        "params": {"target": "10", "floor": "0"},
        "max_score": "5",
        "description": "人均志愿服务时长，10 小时得满分。",
    },
    # 人工评价：the assessors' judgement, with evidence.
    {
        "name": "人工评价",
        "metric_key": "",
        "rule": "manual",
        "params": {},
        "max_score": "5",
        "description": "考核单位结合日常工作、特色亮点等综合评价，须填写评分依据。",
    },
]
