"""A write that fails half-way (the disk is full) leaves no partial file behind."""

import errno

import pytest
from django.core.files.base import ContentFile, File

from cloudbranch.core.storage import LocalStorage


class _DiskFull(File):
    """Content whose second chunk fails like a full disk."""

    def __init__(self):
        super().__init__(None, name="photo.jpg")
        self.size = 2 * 65536

    def chunks(self, chunk_size=None):
        yield b"x" * 65536
        raise OSError(errno.ENOSPC, "No space left on device")


def test_partial_file_removed_and_the_error_raised(tmp_path):
    storage = LocalStorage(location=tmp_path)
    with pytest.raises(OSError) as caught:
        storage.save("news/2026/11/abc-photo.jpg", _DiskFull())
    assert caught.value.errno == errno.ENOSPC
    assert list(tmp_path.rglob("*.jpg")) == []


def test_a_file_already_there_is_never_touched(tmp_path):
    storage = LocalStorage(location=tmp_path)
    kept = storage.save("news/abc-photo.jpg", ContentFile(b"earlier upload"))
    with pytest.raises(OSError):
        storage.save("news/abc-photo.jpg", _DiskFull())  # written under a new name, which fails
    assert storage.open(kept).read() == b"earlier upload"
    assert [p.name for p in tmp_path.rglob("*.jpg")] == ["abc-photo.jpg"]
