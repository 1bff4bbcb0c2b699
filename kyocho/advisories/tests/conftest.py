from kyocho.disclosure.tests.conftest import *  # noqa: F403  (the same case, embargo and actors)
