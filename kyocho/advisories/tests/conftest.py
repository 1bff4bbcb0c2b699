from kyocho.disclosure.tests.helpers import (  # noqa: F401  (fixtures)
    active,
    anonymous,
    case,
    fast_password_hashing,
    proposed,
    second_vendor_member,
    second_vendor_org,
)
