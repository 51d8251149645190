"""Texts of the communication demo (issue 8 item 8): news, notices and 党务公开 disclosures, feed
posts from branch activities and message-board threads with the officers' replies.

Written for this product about the FICTIONAL demo university: no real people, no quotes of real
leaders, no reports of real events. Placeholders filled by ``news_demo.py``: ``{school}`` (the
university's unit name), ``{college}``, ``{branch}``, ``{year}``, ``{month}``, ``{quarter}``,
``{deadline}``, ``{count}``, ``{names}`` (fictional people of the generated roster), ``{period}``.
"""

from __future__ import annotations

# --- articles ------------------------------------------------------------------------------------
# Each: key, level (school / college / branch), category, title, summary, body (paragraphs; the
# seeder wraps them in <p>), visibility, days (published this many days ago), optional pinned,
# disclosure_type + period days (disclosure_from = published day, disclosure_to = + period),
# requires_reading / deadline (days after today; negative = closed), status (default published).

ARTICLES: list[dict] = [
    # The school committee ----------------------------------------------------------------------
    {
        "key": "school-congress-study",
        "level": "school",
        "category": "news",
        "visibility": "public",
        "days": 3,
        "pinned": True,
        "title": "{school}党委召开理论学习中心组专题学习会",
        "summary": "围绕加强基层党组织建设开展专题学习，部署下一阶段党建重点工作。",
        "body": [
            "近日，{school}党委召开理论学习中心组专题学习会，围绕“抓基层、强基础、固基本”开展集中学习研讨。",
            "会上，各二级党委负责同志结合本单位实际作交流发言，重点介绍了党支部标准化规范化建设、"
            "“三会一课”落实和党员教育管理方面的做法，也坦诚分析了部分支部组织生活形式单一、"
            "青年党员参与度不高等问题。",
            "会议要求，各级党组织要把学习成效转化为推动工作的实际举措：一是持续抓好党支部"
            "达标创建，二是用好“云端支部”平台，做到组织生活有记录、党费收缴有台账、发展党员有档案，"
            "三是加强宣传思想工作，讲好师生身边的党员故事。",
        ],
    },
    {
        "key": "school-branch-standard",
        "level": "school",
        "category": "news",
        "visibility": "school",
        "days": 9,
        "title": "我校启动新一轮党支部标准化规范化建设达标创建工作",
        "summary": "对照组织设置、组织生活、党员队伍、基础保障等六个方面开展自查，年底前完成验收。",
        "body": [
            "为进一步夯实基层基础，学校党委组织部近日印发通知，在全校启动新一轮党支部标准化规范化建设达标创建工作。",
            "本轮创建对照组织设置、班子建设、组织生活、党员队伍、工作机制、基础保障六个方面共二十四项指标，"
            "采取支部自查、二级党委初验、学校抽查的方式进行。",
            "组织部提醒，各支部可在平台“组织生活”模块中导出本年度会议记录，在“发展党员”模块中核对发展档案，"
            "自查中发现的问题请于下月底前整改到位。",
        ],
    },
    {
        "key": "school-volunteer-week",
        "level": "school",
        "category": "news",
        "visibility": "public",
        "days": 16,
        "title": "党员志愿服务周：三百余名师生党员走进社区",
        "summary": "各学院党员先锋队开展义务家教、科普讲座、社区清扫等志愿服务。",
        "body": [
            "上周，学校各二级党委组织开展“党员志愿服务周”活动，三百余名师生党员分赴周边社区、中小学和养老机构。",
            "师生党员们开展义务家教、家电义务维修、防范电信诈骗宣传、科普小讲堂和社区环境整治等服务，"
            "累计服务时长超过一千二百小时。",
            "活动期间，各支部在“活力直播台”实时分享服务现场，不少同学留言表示“身边的党员就是榜样”。",
        ],
    },
    {
        "key": "school-lecture-series",
        "level": "school",
        "category": "news",
        "visibility": "school",
        "days": 27,
        "title": "“书记讲党课”系列活动走进各二级党委",
        "summary": "各级党组织书记结合岗位实际讲授专题党课，本学期已开展二十余场。",
        "body": [
            "本学期，学校持续开展“书记讲党课”系列活动。各二级党委书记、党支部书记围绕党的基本理论、"
            "党章党规和立德树人主题，结合本单位工作实际讲授专题党课。",
            "党课形式由“一人讲、大家听”向“围绕问题讲、结合案例讲、互动交流讲”转变，"
            "部分支部还邀请优秀学生党员作学习体会分享。",
            "党课课件和视频将陆续上传至平台“学习园地”，供全校党员学习。",
        ],
    },
    {
        "key": "school-notice-review",
        "level": "school",
        "category": "notice",
        "visibility": "school",
        "days": 5,
        "pinned": True,
        "title": "关于做好{year}年度党员民主评议工作的通知",
        "summary": "各党支部于下月中旬前完成党员民主评议，评议结果报二级党委备案。",
        "body": [
            "各二级党委、直属党支部：",
            "根据学校党委工作安排，现就做好{year}年度党员民主评议工作通知如下。",
            "一、评议对象为全体正式党员和预备党员。评议采取个人自评、党员互评、民主测评、组织评定的方式进行。",
            "二、各党支部应在评议前组织党员集中学习，广泛征求党内外群众意见，并召开组织生活会开展批评和自我批评。",
            "三、评议结果分为优秀、合格、基本合格、不合格四个等次，由党支部在平台中录入，报二级党委审核备案。",
            "四、请各单位于下月中旬前完成，工作中的问题请通过平台留言板或直接联系组织部。",
        ],
    },
    {
        "key": "school-notice-dues",
        "level": "school",
        "category": "notice",
        "visibility": "school",
        "days": 34,
        "title": "关于开展党费收缴情况自查的通知",
        "summary": "请各党支部核对缴费基数、补齐欠缴，确保按月足额交纳。",
        "body": [
            "各二级党委、直属党支部：",
            "为进一步规范党费收缴、使用和管理，学校党委决定在全校开展党费收缴情况自查。",
            "各党支部要对照党员工资收入或生活补助核对缴费基数，重点检查是否存在少交、漏交、长期欠交情况；"
            "对存在欠交的党员，支部书记要及时谈心谈话，督促补交。",
            "自查情况请党支部在平台“党费管理”中生成台账并提交二级党委审核。",
        ],
    },
    {
        "key": "school-disclosure-dues",
        "level": "school",
        "category": "disclosure",
        "disclosure_type": "dues",
        "period": 30,
        "visibility": "school",
        "days": 12,
        "title": "{school}党委关于{year}年上半年党费收缴使用情况的公开",
        "summary": "公开上半年党费收缴、上缴及下拨使用情况，接受党员监督。",
        "body": [
            "根据党费收缴、使用和管理的有关规定，现将学校党委{year}年上半年党费收缴使用情况公开如下：",
            "一、收缴情况：全校各党支部按月收缴党费，收缴率较去年同期有所提高；个别长期欠交情况已由所在支部谈话督促。",
            "二、使用情况：党费主要用于党员教育培训、订阅学习资料、慰问生活困难党员和老党员、"
            "表彰优秀基层党组织和优秀党员等。",
            "三、党员对党费收缴使用情况如有疑问，可在公开期内通过留言板向学校党委组织部反映。",
        ],
    },
    {
        "key": "school-disclosure-awards",
        "level": "school",
        "category": "disclosure",
        "disclosure_type": "awards",
        "period": 7,
        "visibility": "public",
        "days": 41,
        "title": "关于拟表彰先进基层党组织、优秀共产党员和优秀党务工作者的公示",
        "summary": "经基层推荐、组织部审核、党委会研究，现将拟表彰名单予以公示。",
        "body": [
            "根据学校党委关于开展评选表彰工作的安排，经各二级党委推荐、组织部审核、党委会研究，"
            "拟表彰先进基层党组织、优秀共产党员和优秀党务工作者。",
            "拟表彰的先进基层党组织包括：{branch}等。拟表彰的优秀共产党员包括：{names}等同志。",
            "公示期为七天。公示期间，如对拟表彰对象有不同意见，可通过留言板（可匿名）或书面形式向学校党委组织部反映，"
            "反映问题应实事求是，以个人名义反映的请署真实姓名。",
        ],
    },
    {
        "key": "school-disclosure-organization",
        "level": "school",
        "category": "disclosure",
        "disclosure_type": "organization",
        "period": 15,
        "visibility": "school",
        "days": 58,
        "title": "关于基层党组织按期换届情况的公开",
        "summary": "公开本年度应换届党支部的换届完成情况，接受党员监督。",
        "body": [
            "按照党支部委员会每届任期三年（学生党支部任期一般为一年）的要求，学校党委组织部对全校党支部换届情况进行了梳理。",
            "截至目前，本年度应换届的党支部已大部分按期完成换届选举；个别因毕业离校、人员调整等原因未能按期换届的支部，"
            "已报经二级党委同意延期，并明确了换届时间。",
            "平台“组织架构”中已对任期将满的支部给出预警，请相关支部提前做好换届准备。",
        ],
    },
    {
        "key": "school-news-training",
        "level": "school",
        "category": "news",
        "visibility": "school",
        "days": 73,
        "title": "新任党支部书记培训班顺利结业",
        "summary": "围绕支部工作实务开展为期两天的培训，学员完成线上测试。",
        "body": [
            "学校党委组织部举办新任党支部书记培训班，全校本年度新任党支部书记参加培训。",
            "培训内容包括党支部工作条例解读、“三会一课”组织实务、发展党员工作流程、党费收缴与管理、"
            "平台操作演示等，并安排了优秀支部书记经验分享和分组研讨。",
            "学员在平台“学习园地”完成结业测试后，统一颁发结业证书。",
        ],
    },
    # The demo college -------------------------------------------------------------------------
    {
        "key": "college-notice-reading",
        "level": "college",
        "category": "notice",
        "visibility": "subtree",
        "days": 30,
        "requires_reading": True,
        "deadline": -16,
        "title": "关于学习《中国共产党支部工作条例（试行）》的通知",
        "summary": "请本单位全体师生党员、入党积极分子在规定时间内完成阅读。",
        "body": [
            "各党支部：",
            "为进一步规范党支部工作，{college}党委决定组织全体师生党员和入党积极分子学习《中国共产党支部工作条例（试行）》。",
            "请各位同志认真阅读条例全文，结合本支部工作实际撰写学习体会，并在支部组织生活中交流。",
            "阅读情况以平台回执为准，请各支部书记关注本支部的阅读率，及时提醒未读同志。",
        ],
    },
    {
        "key": "college-news-lecture",
        "level": "college",
        "category": "news",
        "visibility": "subtree",
        "days": 6,
        "pinned": True,
        "title": "{college}党委书记为师生党员讲授专题党课",
        "summary": "党课围绕“做新时代的合格党员”展开，各支部党员代表参加。",
        "body": [
            "近日，{college}党委书记以“立足岗位作贡献，做新时代的合格党员”为题，为学院师生党员讲授专题党课。",
            "党课结合学院教学科研和学生培养工作中的真实案例，讲述了身边党员扎根教学一线、带领学生参加科技竞赛、"
            "在实验室安全值守中发挥作用的故事。",
            "课后，部分学生党员表示，将把党课所学落实到学习和服务同学的具体行动中。",
        ],
    },
    {
        "key": "college-news-pairing",
        "level": "college",
        "category": "news",
        "visibility": "subtree",
        "days": 22,
        "title": "师生党支部“结对共建”签约仪式举行",
        "summary": "教工支部与学生支部结成对子，在学业指导、科研训练和志愿服务方面开展合作。",
        "body": [
            "为发挥教工党员对学生党员的示范带动作用，{college}组织教工党支部与学生党支部开展“结对共建”。",
            "共建支部将每学期联合开展一次主题党日，教工党员担任学生党员的学业导师，"
            "并共同组织科研训练营和社区志愿服务。",
            "{branch}作为首批共建支部，已联合开展了“实验室开放日”活动。",
        ],
    },
    {
        "key": "college-disclosure-development",
        "level": "college",
        "category": "disclosure",
        "disclosure_type": "development",
        "period": 5,
        "visibility": "subtree",
        "days": 20,
        "title": "{college}党委关于接收预备党员的公示（发展党员公示结果）",
        "summary": "经支部大会讨论，拟接收以下同志为中共预备党员，现予公示。",
        "body": [
            "根据《中国共产党发展党员工作细则》，经党支部委员会审查、支部党员大会讨论通过，"
            "拟接收{names}等{count}名同志为中共预备党员。",
            "公示期为五个工作日。公示期间，党员和群众可通过来访、来信或平台留言板（可匿名）反映拟接收对象在思想、"
            "工作、学习和作风等方面的情况和问题。",
            "{college}党委联系人：组织员办公室。",
        ],
    },
    {
        "key": "college-disclosure-conduct",
        "level": "college",
        "category": "disclosure",
        "disclosure_type": "conduct",
        "period": 30,
        "visibility": "members",
        "days": 45,
        "title": "{college}党委关于组织生活会问题整改情况的公开",
        "summary": "公开组织生活会查摆问题的整改进展，接受党员监督。",
        "body": [
            "{college}党委对上一次组织生活会中各支部查摆出的问题进行了汇总，共梳理出组织生活质量、"
            "联系服务师生、学习教育等方面的问题十余项。",
            "截至目前，大部分问题已整改完成：主题党日活动增加了实践环节，支部书记每学期与每名党员至少谈心一次，"
            "学生党员“一对一”帮扶学业困难同学。",
            "尚未完成的事项已明确责任人和完成时限，将在下次组织生活会上通报。",
        ],
    },
    # The showcase branch (secretary1's) -----------------------------------------------------------
    {
        "key": "branch-notice-open",
        "level": "branch",
        "category": "notice",
        "visibility": "members",
        "days": 2,
        "pinned": True,
        "requires_reading": True,
        "deadline": 7,
        "title": "关于召开{branch}{month}月主题党日活动的通知",
        "summary": "请全体党员按时参加，因故不能参加的请提前在平台请假。",
        "body": [
            "支部全体党员：",
            "支部定于本月下旬召开主题党日活动，主题为“重温入党誓词，践行初心使命”，具体安排如下：",
            "一、集体学习党章第一章“党员”；二、重温入党誓词；三、交流本学期学习和工作情况；四、收缴本月党费。",
            "请同志们提前阅读学习材料，并于{deadline}前在平台确认已阅读本通知。因故不能参加的，请在会议页面提交请假申请。",
        ],
    },
    {
        "key": "branch-news-oath",
        "level": "branch",
        "category": "news",
        "visibility": "subtree",
        "days": 24,
        "title": "{branch}开展“重温入党誓词”主题党日活动",
        "summary": "支部党员面向党旗重温入党誓词，新党员分享入党心路历程。",
        "body": [
            "{branch}全体党员在党员活动室开展“重温入党誓词”主题党日活动。",
            "活动中，全体党员面向党旗庄严宣誓；两名新发展的预备党员分享了从递交入党申请书到入党的心路历程，"
            "老党员结合自身经历，勉励大家在学习和工作中走在前列。",
            "活动最后，支部书记对下一阶段的组织生活作了安排。",
        ],
    },
    {
        "key": "branch-disclosure-dues",
        "level": "branch",
        "category": "disclosure",
        "disclosure_type": "dues",
        "period": 15,
        "visibility": "members",
        "days": 14,
        "title": "{branch}关于{year}年第{quarter}季度党费收缴情况的公开",
        "summary": "公开本季度支部党员党费交纳情况。",
        "body": [
            "根据党费收缴工作要求，现将{branch}{year}年第{quarter}季度党费收缴情况公开如下：",
            "本支部应交纳党费的党员{count}名，绝大多数同志已通过平台按月足额交纳，个别同志因外出实习暂缓交纳，"
            "已由支部党费收缴员联系，将于下月补交。",
            "党员对本人缴费基数和交纳记录如有疑问，可在平台“我的党费”中查看明细，或联系支部党费收缴员核对。",
        ],
    },
    {
        "key": "branch-disclosure-awards",
        "level": "branch",
        "category": "disclosure",
        "disclosure_type": "awards",
        "period": 7,
        "visibility": "members",
        "days": 50,
        "title": "{branch}关于推荐优秀共产党员人选的公示",
        "summary": "经支部党员大会民主推荐，现将推荐人选予以公示。",
        "body": [
            "经支部党员大会民主推荐、支部委员会研究，拟推荐{names}同志为学院优秀共产党员人选。",
            "公示期为七天。对推荐人选如有意见，请在公示期内向支部委员会或通过平台留言反映。",
        ],
    },
    {
        "key": "branch-submitted",
        "level": "branch",
        "category": "news",
        "visibility": "subtree",
        "status": "submitted",
        "days": 0,
        "title": "{branch}组织党员参观校史馆",
        "summary": "支部党员走进校史馆，追寻学校发展足迹。",
        "body": [
            "本周，{branch}组织党员和入党积极分子参观校史馆。",
            "讲解员带领大家回顾了学校从建校之初到今天的发展历程，介绍了一代代师生扎根办学、服务社会的故事。",
            "参观结束后，大家在留言册上写下了自己的感想。",
        ],
    },
    {
        "key": "branch-rejected",
        "level": "branch",
        "category": "news",
        "visibility": "public",
        "status": "rejected",
        "days": 0,
        "reject": "照片中有同学的学号和手机号可见，请处理后再提交；另外对外公开的稿件请补充活动时间和参加人数。",
        "title": "{branch}开展社区志愿服务活动",
        "summary": "支部党员走进社区，开展义务家电维修和防诈骗宣传。",
        "body": [
            "周末，{branch}党员志愿者走进学校周边社区，开展义务家电维修和防范电信诈骗宣传。",
            "志愿者们为居民检修小家电，发放宣传材料，并手把手教老人识别常见诈骗短信。",
        ],
    },
]

# One short news item for every other college (placeholders: {college}).
OTHER_COLLEGE_NEWS: list[dict] = [
    {
        "title": "{college}召开党建工作推进会",
        "summary": "总结前一阶段党建工作，部署下一阶段重点任务。",
        "body": [
            "{college}党委召开党建工作推进会，各党支部书记汇报了本支部组织生活开展、党员发展和党费收缴情况。",
            "会议要求各支部对照标准化规范化建设指标查漏补缺，按时完成年度任务。",
        ],
    },
    {
        "title": "{college}学生党员先锋队开展学业帮扶",
        "summary": "学生党员与学业困难同学结对，每周开展答疑辅导。",
        "body": [
            "{college}学生党员先锋队启动“学业帮扶计划”，党员同学与学业困难同学一对一结对。",
            "先锋队每周固定时间在教学楼开展答疑辅导，帮助同学们补齐课程短板。",
        ],
    },
    {
        "title": "{college}教工党支部开展“走进实验室”主题党日",
        "summary": "教工党员带领学生参观科研平台，分享科研报国的故事。",
        "body": [
            "{college}教工党支部开展“走进实验室”主题党日活动，教工党员带领学生党员和入党积极分子参观科研平台。",
            "活动中，青年教师党员分享了自己潜心科研的经历，鼓励同学们早进实验室、早进课题组。",
        ],
    },
]

# --- feed posts ----------------------------------------------------------------------------------
# By the kind of the linked meeting (meetings.choices.MeetingKind); "free" for posts without one.

POSTS: dict[str, list[str]] = {
    "themed_day": [
        "今天的主题党日，我们一起重温了入党誓词。站在党旗下，每个人都很郑重。",
        "主题党日走进社区，帮助居民整理楼道杂物，大家干劲十足！",
        "主题党日活动：支部党员一起观看了一部讲述老一辈科学家的纪录片，讨论很热烈。",
        "本月主题党日在图书馆开展“共读一本书”，每人分享了一段最有感触的文字。",
        "主题党日后大家一起为困难同学整理了捐赠的教材和文具，温暖在传递。",
        "主题党日“实验室开放日”，教工党员带学弟学妹参观课题组，问题一个接一个。",
        "支部主题党日到校园里开展垃圾分类宣传，顺便把宿舍楼下的自行车摆整齐了。",
        "今天的主题党日我们去了附近的养老院，陪老人们聊天、剪指甲、表演小节目。",
    ],
    "lecture": [
        "书记今天的党课讲得特别实在，结合了很多我们身边的例子，收获很大。",
        "党课后的讨论环节，大家就“学生党员如何在班级中发挥作用”各抒己见。",
        "今天请到了学院的老党员给我们讲党课，讲他年轻时在基层工作的经历，很受触动。",
        "党课：学习党章第一章。支部把重点条目做成了卡片，方便大家随时翻看。",
        "微党课比赛预赛结束啦，三位同学的讲稿都很用心，下周决赛见！",
    ],
    "general": [
        "支部党员大会顺利召开，讨论通过了两名发展对象的接收事项，欢迎新同志！",
        "今天的支部党员大会上，两名预备党员汇报了预备期表现，大家提出了中肯的意见。",
        "支部党员大会完成了支委会补选，感谢前任组织委员一年来的付出。",
    ],
    "committee": [
        "支委会研究了下学期的组织生活安排，欢迎大家在留言里提建议。",
        "支委会碰头：本月党费已全部收齐，感谢大家及时交纳。",
    ],
    "group": [
        "党小组学习会：每人分享了一条本周印象最深的时事，讨论了半个多小时。",
        "党小组会在实验室会议室召开，顺便给新来的积极分子介绍了支部的情况。",
    ],
    "org_life": [
        "组织生活会上大家开展了批评和自我批评，红红脸、出出汗，都很坦诚。",
    ],
    "free": [
        "期末复习季，支部党员在自习室开设答疑角，欢迎同学们带着问题来。",
        "新学期第一次支部活动，欢迎新转入的两位党员同志！",
        "支部组织为毕业班同学整理了组织关系转接的注意事项，已发到群里。",
        "晨跑打卡第十天，支部“健康跑团”越来越壮大了。",
        "今天在食堂门口开展了“光盘行动”宣传，收集了两百多个签名。",
        "支部志愿者在新生报到现场服务了一整天，累但开心！",
        "和兄弟支部一起打了一场篮球友谊赛，比赛第二，友谊第一。",
        "支部读书角又添新书了，欢迎大家来借阅，看完记得写一句读后感。",
        "献血车来校园了，支部十几名同志报名无偿献血，为大家点赞。",
        "学院运动会上，支部党员承担了检录和后勤服务，保障了比赛顺利进行。",
        "实验楼安全检查，支部党员先锋岗排查了每一间实验室的消防设施。",
        "考研经验分享会今晚开讲，支部请到了三位已上岸的学长学姐。",
        "校园开放日，支部党员担任讲解员，为来访的中学生介绍学校和专业。",
        "支部组织的“二手书漂流”活动收到了一百多本教材，下周一开始免费领取。",
        "今天去看望了支部的一位退休老党员，老人家精神很好，给我们讲了很多过去的故事。",
        "雨后的校园清扫活动，支部同志们把主干道的落叶都清理干净了。",
        "党员先锋岗在图书馆值班，帮助同学们查找资料、预约座位。",
        "支部为留学生同学组织了一次中国传统文化体验活动，包饺子、写春联。",
        "支部学习小组完成了本月的线上学习任务，积分榜前三名的同志分享了学习方法。",
        "和社区党支部联合开展的“垃圾分类进家庭”活动圆满结束，感谢社区的支持。",
    ],
}

# Comments on feed posts (by the demo logins) and one that the filter holds.
POST_COMMENTS: list[str] = [
    "活动很有意义，下次我也报名参加！",
    "照片拍得真好，大家辛苦了。",
    "点赞！这样的活动多组织一些。",
    "感谢支部的组织，收获很大。",
    "下次能不能提前在群里发个通知，有几位同志没看到。",
    "学习了，我们支部也准备搞一次类似的活动。",
]
# Held by the sensitive-word filter (a contact-exchange phrase), waiting for a moderator.
HELD_COMMENT = ("活动照片的原图谁需要？加微信我发给你。", "加微信")

ARTICLE_COMMENTS: list[str] = [
    "通知已收到，会按时完成。",
    "内容很详实，已组织支部党员学习。",
    "请问材料是否需要打印纸质版提交？",
]

# --- message board -------------------------------------------------------------------------------
# level: school / college; author: a demo login name, "visitor" (the public board, no login), or a
# login with anonymous=True (the author is stored, officers do not see it); status open / answered /
# closed; reply_hours: how long the officers took; public: shown on the board.

MESSAGES: list[dict] = [
    {
        "level": "school",
        "author": "visitor",
        "visitor_name": "一名大一新生",
        "category": "consultation",
        "status": "answered",
        "pinned": True,
        "days": 20,
        "reply_hours": 5,
        "title": "大一新生什么时候可以递交入党申请书？",
        "body": "老师好，我是今年刚入学的新生，高中时就想入党。请问入学后什么时候可以递交入党申请书？交给谁？",
        "reply": "同学你好！年满十八周岁、承认党的纲领和章程的同学，随时可以向所在班级对应的学生党支部递交入党申请书。"
        "党支部会在收到申请书后一个月内派人同你谈话。建议先和班级辅导员或支部书记联系，了解本支部的具体安排。",
    },
    {
        "level": "school",
        "author": "member1",
        "category": "consultation",
        "status": "answered",
        "pinned": True,
        "days": 35,
        "reply_hours": 30,
        "title": "毕业时组织关系怎么转？需要准备什么材料？",
        "body": "我明年六月毕业，已经签了外省的工作单位。请问党组织关系什么时候开始办理转接？需要准备哪些材料？",
        "reply": "你好！毕业生党员组织关系转接一般在每年五月至七月集中办理。请先向工作单位（或其上级党组织）确认接收党组织的全称，"
        "然后在平台“组织关系转接”中提交申请，由支部和二级党委审核后开具介绍信。"
        "预备党员请同时准备好入党志愿书及考察材料，随档案一并转递。转出后请在三个月内到接收党组织报到。",
    },
    {
        "level": "school",
        "author": "collector1",
        "category": "consultation",
        "status": "closed",
        "days": 60,
        "reply_hours": 48,
        "title": "研究生党员的党费基数怎么算？",
        "body": "支部有研究生党员问，只有助学金和助研补贴的情况下，党费按什么标准交？",
        "reply": "学生党员（包括研究生）没有工资收入的，每月交纳党费0.2元；有工资收入的（如在职攻读），按工资收入的比例交纳。"
        "助学金、助研补贴一般不作为计算基数。具体可参看平台“党费管理”中的说明，有特殊情况请报二级党委确认。",
    },
    {
        "level": "school",
        "author": "visitor",
        "visitor_name": "学生家长",
        "category": "consultation",
        "status": "answered",
        "days": 12,
        "reply_hours": 20,
        "title": "孩子在校期间入党，家长需要配合做什么吗？",
        "body": "孩子说他已经被确定为入党积极分子，请问学校会需要家长提供什么材料或者做什么调查吗？",
        "reply": "您好！在确定为发展对象后，党组织会对本人进行政治审查，一般通过函调或查阅档案的方式进行，"
        "如需家庭配合会由所在党支部直接联系。家长平时多关心孩子的思想和学习情况即可，感谢您的支持！",
    },
    {
        "level": "school",
        "author": "activist1",
        "anonymous": True,
        "category": "suggestion",
        "status": "answered",
        "days": 18,
        "reply_hours": 72,
        "title": "建议党课视频增加字幕",
        "body": "学习园地里的部分党课视频没有字幕，在宿舍或图书馆不方便外放，建议增加字幕。",
        "reply": "感谢你的建议！我们已联系各位授课老师，新上传的党课视频将统一配字幕，已上线的视频也会在本学期内陆续补充。",
    },
    {
        "level": "school",
        "author": "secretary2",
        "category": "suggestion",
        "status": "closed",
        "days": 80,
        "reply_hours": 96,
        "title": "希望平台能导出会议签到表",
        "body": "支部每次开会后需要打印签到表存档，希望平台能直接导出带签名栏的签到表。",
        "reply": "已收到，该功能已在组织生活模块上线：会议详情页可导出签到表（含请假和缺席情况）。如有问题欢迎继续反馈。",
    },
    {
        "level": "school",
        "author": "member1",
        "anonymous": True,
        "public": False,
        "category": "complaint",
        "status": "answered",
        "days": 9,
        "reply_hours": 26,
        "title": "反映个别支部组织生活流于形式的问题",
        "body": "听说有的支部组织生活就是念念文件、签个到，希望组织部能加强抽查。",
        "reply": "感谢你的反映。组织部将在本学期的达标创建检查中重点抽查组织生活记录，并随机列席部分支部的组织生活。",
        "reply_public": False,
    },
    {
        "level": "school",
        "author": "visitor",
        "visitor_name": "校友",
        "category": "consultation",
        "status": "answered",
        "days": 25,
        "reply_hours": 50,
        "title": "毕业多年，组织关系还在学校怎么办？",
        "body": "我毕业后一直在外地工作，但单位没有党组织，组织关系好像还留在学校，现在应该怎么处理？",
        "reply": "您好！请尽快与原所在学院党委联系，说明目前工作单位和居住地情况。单位没有党组织的，"
        "可以将组织关系转至工作单位所在地或居住地的街道、社区党组织，学院会协助开具介绍信。",
    },
    {
        "level": "school",
        "author": "collector1",
        "category": "praise",
        "status": "closed",
        "days": 42,
        "reply_hours": 8,
        "title": "点赞组织部的新任支书培训",
        "body": "培训内容很实用，尤其是发展党员流程和党费台账的讲解，解决了很多实际问题。",
        "reply": "谢谢你的肯定！培训课件已上传到学习园地，欢迎随时查阅。",
    },
    {
        "level": "school",
        "author": "visitor",
        "visitor_name": "社区工作人员",
        "category": "other",
        "status": "answered",
        "days": 15,
        "reply_hours": 30,
        "title": "希望与学校党员志愿者建立长期合作",
        "body": "我们社区有不少老人需要帮助，上次学校党员志愿者来服务效果很好，希望能建立长期合作。",
        "reply": "感谢您的认可！已将您的需求转交校团委和相关学院党委，稍后会有老师与您联系，商定长期结对的方式。",
    },
    {
        "level": "school",
        "author": "member1",
        "category": "consultation",
        "status": "open",
        "days": 1,
        "title": "党员积分是怎么计算的？",
        "body": "平台上有学习积分，想问一下每日答题和阅读文章的积分有没有上限？年底考评会用到吗？",
    },
    {
        "level": "school",
        "author": "activist1",
        "category": "consultation",
        "status": "open",
        "days": 0,
        "title": "入党积极分子培训班什么时候报名？",
        "body": "我被确定为入党积极分子已经两个月了，请问本学期的积极分子培训班什么时候开班？需要自己报名吗？",
    },
    {
        "level": "school",
        "author": "visitor",
        "visitor_name": "李同学",
        "category": "consultation",
        "status": "open",
        "days": 2,
        "title": "转专业后入党申请书需要重新交吗？",
        "body": "我下学期要转到另一个学院，之前已经递交了入党申请书，转专业后需要重新交吗？",
    },
    {
        "level": "school",
        "author": "secretary1",
        "anonymous": True,
        "category": "suggestion",
        "status": "answered",
        "days": 30,
        "reply_hours": 120,
        "title": "建议简化学生支部的会议记录格式",
        "body": "学生支部每次会议记录要求的栏目太多，能否针对学生支部提供更简洁的模板？",
        "reply": "收到建议。组织部正在修订会议记录模板，将区分教工支部和学生支部，新模板下月起在平台中使用。",
    },
    # The demo college ------------------------------------------------------------------------
    {
        "level": "college",
        "author": "member1",
        "category": "consultation",
        "status": "answered",
        "days": 40,
        "reply_hours": 6,
        "title": "党费可以一次交一年吗？",
        "body": "我下学期要去外地实习半年，党费可以提前一次性交吗？",
        "reply": "可以。外出期间可以在平台“我的党费”中提前交纳，或者委托支部党费收缴员代收；"
        "一般不超过半年，请在出发前与支部收缴员确认金额。",
    },
    {
        "level": "college",
        "author": "activist1",
        "category": "consultation",
        "status": "answered",
        "days": 14,
        "reply_hours": 28,
        "title": "思想汇报多久交一次？有字数要求吗？",
        "body": "成为积极分子后，思想汇报需要多久交一次？有没有字数或格式要求？",
        "reply": "入党积极分子一般每季度至少向党组织递交一次思想汇报，重点写自己的学习体会、思想变化和实际行动，"
        "不必追求字数，切忌照搬网上范文。可以在平台“思想汇报”中直接提交，培养联系人会给你反馈。",
    },
    {
        "level": "college",
        "author": "member1",
        "anonymous": True,
        "category": "complaint",
        "status": "closed",
        "days": 55,
        "reply_hours": 70,
        "title": "实验楼晚间自习室开放时间太短",
        "body": "考研期间实验楼自习室晚上九点半就关门，希望延长到十一点。",
        "reply": "已与学院办公室协调，考研冲刺期间实验楼二楼自习室开放至晚上十一点，并安排学生党员先锋岗值守。",
    },
    {
        "level": "college",
        "author": "collector1",
        "category": "suggestion",
        "status": "answered",
        "days": 21,
        "reply_hours": 18,
        "title": "建议各支部共享主题党日活动方案",
        "body": "每个月策划主题党日都要花不少时间，建议学院建一个活动方案库，各支部可以互相借鉴。",
        "reply": "好建议！学院已在平台“党建动态”中开设主题党日专栏，请各支部把好的方案和照片发到活力直播台。",
    },
    {
        "level": "college",
        "author": "secretary2",
        "category": "consultation",
        "status": "answered",
        "days": 11,
        "reply_hours": 4,
        "title": "预备党员转正材料什么时候交？",
        "body": "支部有两名预备党员下个月预备期满，转正申请书和支部意见需要提前多久报学院？",
        "reply": "预备期满前一个月左右，请指导预备党员提交转正申请书，支部召开党员大会讨论后，"
        "于预备期满后两周内将材料报学院党委审批。平台“发展党员”中会提前三十天提醒。",
    },
    {
        "level": "college",
        "author": "activist1",
        "anonymous": True,
        "public": False,
        "category": "complaint",
        "status": "answered",
        "days": 6,
        "reply_hours": 20,
        "title": "培养联系人很久没有找我谈话",
        "body": "我的培养联系人这学期一直没有找我谈过话，思想汇报交上去也没有反馈，不知道该怎么办。",
        "reply": "感谢反映。学院已提醒相关支部及时落实培养联系人的谈话和反馈要求，支部书记近期会主动与你联系。",
        "reply_public": False,
    },
    {
        "level": "college",
        "author": "member1",
        "category": "praise",
        "status": "closed",
        "days": 33,
        "reply_hours": 10,
        "title": "感谢学院组织的志愿服务活动",
        "body": "上周的社区志愿服务活动组织得很好，安排细致，希望以后多组织。",
        "reply": "谢谢！下学期将继续组织，欢迎更多同学参加。",
    },
    {
        "level": "college",
        "author": "collector1",
        "category": "consultation",
        "status": "open",
        "days": 1,
        "title": "新转入党员的党费从哪个月开始在本支部交？",
        "body": "支部新转入一名党员，原支部已收到上月，请问从哪个月开始由我们收？",
    },
    {
        "level": "college",
        "author": "activist1",
        "category": "other",
        "status": "open",
        "days": 3,
        "title": "可以参加其他支部的主题党日吗？",
        "body": "隔壁支部下周有一个去红色教育基地的主题党日，积极分子可以报名参加吗？",
    },
]

# A generic thread for each other college board (placeholders: {college}).
OTHER_COLLEGE_MESSAGES: list[dict] = [
    {
        "category": "consultation",
        "status": "answered",
        "days": 17,
        "reply_hours": 36,
        "title": "{college}本学期积极分子培训什么时候开始？",
        "body": "请问{college}本学期的入党积极分子培训什么时候开始？",
        "reply": "本学期积极分子培训拟于下月上旬开班，具体安排将通过通知公告发布，请留意。",
    },
    {
        "category": "suggestion",
        "status": "closed",
        "days": 48,
        "reply_hours": 60,
        "title": "建议{college}组织一次校外红色教育实践",
        "body": "希望学院能组织党员到校外红色教育基地参观学习。",
        "reply": "感谢建议，学院已将校外实践纳入下学期主题党日计划。",
    },
]
