"""Static files: hashed and compressed after ``kengen collectstatic``, plain before it."""

from __future__ import annotations

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
