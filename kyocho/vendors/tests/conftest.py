"""The session's gpg-made keys, for every vendors test that asks for ``gpg_keys``."""

from kyocho.vendors.tests.gpgkeys import gpg_keys

__all__ = ["gpg_keys"]
