"""Validation of the 18-character resident identity number (GB 11643-1999).

Layout: 6-digit administrative region, 8-digit birth date (YYYYMMDD), 3-digit sequence whose
last digit is odd for men and even for women, and a check character computed by ISO 7064
MOD 11-2 (``X`` stands for 10).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils import timezone

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
# First two digits: province-level regions (GB/T 2260), plus 71 台湾, 81 香港, 82 澳门, 83 台湾居民居住证, 91 国外.
PROVINCE_CODES = frozenset(
    {
        11,
        12,
        13,
        14,
        15,
        21,
        22,
        23,
        31,
        32,
        33,
        34,
        35,
        36,
        37,
        41,
        42,
        43,
        44,
        45,
        46,
        50,
        51,
        52,
        53,
        54,
        61,
        62,
        63,
        64,
        65,
        71,
        81,
        82,
        83,
        91,
    }
)


class IdNumberError(ValueError):
    pass


@dataclass(frozen=True)
class IdNumber:
    value: str
    birth_date: datetime.date
    gender: str  # "male" | "female"


def check_char(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARS[total % 11]


def normalize(raw: str) -> str:
    full_to_half = {ord(c): ord(c) - 0xFEE0 for c in "０１２３４５６７８９ＸｘＸ"}
    return str(raw).translate(full_to_half).strip().replace(" ", "").upper()


def parse(raw, *, today: datetime.date | None = None) -> IdNumber:
    """Parse and validate; raise IdNumberError with a message in Chinese saying what is wrong."""
    value = normalize(raw)
    if len(value) != 18:
        raise IdNumberError(f"身份证号应为 18 位，实际为 {len(value)} 位")
    if not value[:17].isdigit() or not (value[17].isdigit() or value[17] == "X"):
        raise IdNumberError("身份证号前 17 位须为数字，最后一位为数字或 X")
    if int(value[:2]) not in PROVINCE_CODES:
        raise IdNumberError(f"身份证号地区码 {value[:2]} 无效")
    try:
        birth = datetime.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise IdNumberError(f"身份证号中的出生日期 {value[6:14]} 无效") from None
    today = today or timezone.localdate()
    if birth > today or birth.year < 1900:
        raise IdNumberError(f"身份证号中的出生日期 {birth.isoformat()} 不合理")
    expected = check_char(value[:17])
    if value[17] != expected:
        raise IdNumberError(f"身份证号校验位错误（应为 {expected}）")
    gender = "male" if int(value[16]) % 2 == 1 else "female"
    return IdNumber(value=value, birth_date=birth, gender=gender)


def make(region: str, birth: datetime.date, sequence: int, gender: str) -> str:
    """Build a valid number (for demo data and tests). ``sequence`` 0-99; the gender digit is added."""
    seq = sequence % 100
    gender_digit = (seq % 5) * 2 + (1 if gender == "male" else 0)
    first17 = f"{region}{birth:%Y%m%d}{seq:02d}{gender_digit}"
    return first17 + check_char(first17)
