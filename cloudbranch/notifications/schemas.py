from datetime import datetime

from ninja import Schema


class NotificationOut(Schema):
    id: int
    category: str
    title: str
    body: str
    url: str
    created_at: datetime
    read_at: datetime | None


class UnreadCountOut(Schema):
    unread: int


class ReadAllOut(Schema):
    marked: int


class PreferenceCell(Schema):
    category: str
    channel: str
    enabled: bool
    locked: bool = False


class PreferenceIn(Schema):
    category: str
    channel: str
    enabled: bool


class PreferencesIn(Schema):
    preferences: list[PreferenceIn]


class ChannelOut(Schema):
    name: str
    label: str
    locked: bool


class PreferencesOut(Schema):
    channels: list[ChannelOut]
    preferences: list[PreferenceCell]
