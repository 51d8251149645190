from datetime import datetime

from ninja import Field, Schema


class UserOut(Schema):
    id: int
    username: str
    display_name: str
    email: str
    duty: str = Field(description="平台职责：空、system、security 或 audit")
    is_active: bool
    is_locked: bool = Field(False, description="因连续登录失败被锁定")
    must_change_password: bool
    last_login: datetime | None
    date_joined: datetime


class UserCreateIn(Schema):
    username: str = Field(..., max_length=150)
    display_name: str = Field("", max_length=64)
    email: str = ""
    password: str = Field(..., description="初始密码；用户首次登录后须修改")


class UserUpdateIn(Schema):
    display_name: str | None = Field(None, max_length=64)
    email: str | None = None
    is_active: bool | None = None
    duty: str | None = Field(None, description="平台职责：空字符串表示撤销")


class ResetPasswordIn(Schema):
    password: str = Field("", description="留空则自动生成临时密码")


class ResetPasswordOut(Schema):
    id: int
    password: str = Field(..., description="临时密码，只返回这一次")


class UnlockOut(Schema):
    id: int
    cleared: int = Field(..., description="清除的登录失败记录数")


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenCreateIn(Schema):
    name: str = Field(..., max_length=64)
    days: int = Field(90, ge=1, le=365)


class TokenCreatedOut(TokenOut):
    token: str = Field(..., description="令牌明文，只返回这一次")


class SessionOut(Schema):
    id: int
    created_at: datetime
    last_seen_at: datetime
    ip: str | None
    user_agent: str
    ended_at: datetime | None
    end_reason: str = Field(..., description="空（在线）、logout、idle、ended、reset 或 otp_locked")
    current: bool = Field(False, description="发出本请求的会话")


class LoginRecordOut(Schema):
    id: int
    at: datetime
    username: str
    user_id: int | None
    outcome: str = Field(..., description="success、bad_password、locked、otp_failed 或 sso")
    ip: str | None
    user_agent: str


class OtpStatusOut(Schema):
    enabled: bool = Field(..., description="已启用二次验证（有已确认的身份验证器）")
    required: bool = Field(..., description="按角色或平台职责必须启用")
    verified: bool = Field(..., description="本会话已通过二次验证（令牌请求为 false）")
    recovery_codes_left: int
