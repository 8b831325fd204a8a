"""Static files: hashed and compressed after ``kengen collectstatic``, plain before it."""

from __future__ import annotations

from django.conf import settings
from django.utils.functional import cached_property
from whitenoise.storage import CompressedManifestStaticFilesStorage


class KengenStaticFilesStorage(CompressedManifestStaticFilesStorage):
    """WhiteNoise's compressed manifest storage that falls back to the plain file name when
    ``collectstatic`` has not been run (development, tests) or has not seen a file yet; WhiteNoise's
    finders (``WHITENOISE_USE_FINDERS``) then serve the file from the package."""

    manifest_strict = False

    def stored_name(self, name: str) -> str:
        if not self.hashed_files:
            return name
        try:
            return super().stored_name(name)
        except ValueError:  # not collected yet
            return name

    def url(self, name, force=False):
        """The file's URL, kept per name once the manifest is loaded: base.html asks for the same
        seven files on every page, and each answer is fixed until the next ``collectstatic``, which
        a restart follows (the manifest itself is read once, when the process starts)."""
        if force or not self.hashed_files:
            return super().url(name, force)
        key = (name, settings.DEBUG)
        url = self._urls.get(key)
        if url is None:
            url = self._urls[key] = super().url(name, force)
        return url

    @cached_property
    def _urls(self) -> dict[tuple[str, bool], str]:
        return {}

    def post_process(self, *args, **kwargs):
        """``collectstatic`` in this process (``kengen serve --production`` runs it before the
        workers start) makes new hashed names: forget the kept URLs."""
        self.__dict__.pop("_urls", None)
        yield from super().post_process(*args, **kwargs)
        self.__dict__.pop("_urls", None)
