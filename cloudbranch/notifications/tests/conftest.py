import pytest

from cloudbranch.notifications import channels


class FailingChannel(channels.Channel):
    """A provider that is down."""

    name = "broken"
    label = "故障渠道"

    def send(self, notification) -> None:
        raise ConnectionError("gateway timeout")


class RecordingChannel(channels.Channel):
    """Remembers what it sent; fails for one username to prove a bad recipient stops nobody."""

    name = "recording"
    label = "测试渠道"
    default_enabled = False
    sent: list = []

    def send(self, notification) -> None:
        if notification.recipient.username == "secretary2":
            raise ValueError("no phone number")
        RecordingChannel.sent.append((notification.recipient.username, notification.title))


ALL = [
    "cloudbranch.notifications.channels.InboxChannel",
    "cloudbranch.notifications.channels.EmailChannel",
    "cloudbranch.notifications.tests.conftest.FailingChannel",
    "cloudbranch.notifications.tests.conftest.RecordingChannel",
]


@pytest.fixture
def extra_channels(settings):
    RecordingChannel.sent = []
    settings.NOTIFICATION_CHANNELS = ALL
    return RecordingChannel
