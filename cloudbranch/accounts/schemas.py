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
