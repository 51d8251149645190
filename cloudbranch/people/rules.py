"""Numbers from the regulations, kept as data with their source."""

# 中国共产党支部工作条例（试行）2018 第四条: 有正式党员 3 人以上的，应当成立党支部。
BRANCH_MIN_FULL_MEMBERS = 3
# 同条: 党支部党员人数一般不超过 50 名 (soft: suggest splitting). Counted on full members, as SPEC §1 says.
BRANCH_SOFT_MAX_MEMBERS = 50
# 第六章 (第二十条 ff.): 正式党员 7 人以上的党支部设立支部委员会，委员会由 3 至 5 人组成，一般不超过 7 人。
BRANCH_COMMITTEE_THRESHOLD = 7
BRANCH_COMMITTEE_MIN = 3
BRANCH_COMMITTEE_MAX = 7
# Warn this many days before a committee's term ends (local practice).
TERM_WARNING_DAYS = 60
# 党章 第一章 第一条: 年满十八岁 may apply.
MIN_AGE_AT_APPLICATION = 18
