"""Uploaded files on the local disk, without leftovers from a failed write."""

import errno
import logging
import os

from django.core.files.storage import FileSystemStorage

logger = logging.getLogger(__name__)


class LocalStorage(FileSystemStorage):
    """Django's file system storage, except that a write that fails half-way (the disk is full,
    a quota, an I/O error) does not leave the partial file behind: the caller's transaction rolls
    its rows back, and nothing would ever point at that file again.

    Only a file this call created is removed: the storage creates files exclusively (O_EXCL), so
    a file at the name we were handed, absent when we started and present after the failure, is
    ours. (If another upload took the same name in the same instant, Django would write ours
    under a new name, and this check could then remove the other file; every upload path here
    carries 64 random bits, so that does not happen.)"""

    def _save(self, name, content):
        path = self.path(name)
        existed = os.path.lexists(path)
        try:
            return super()._save(name, content)
        except FileExistsError:
            raise
        except OSError as exc:
            if not existed and os.path.lexists(path):
                try:
                    os.remove(path)
                except OSError:
                    logger.exception("could not remove the partial upload %s", path)
                else:
                    logger.warning("removed the partial upload %s after %s", path, errno.errorcode.get(exc.errno, exc))
            raise
