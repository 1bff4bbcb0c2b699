from kyocho.disclosure.tests.helpers import (  # noqa: F401  (fixtures)
    active,
    anonymous,
    case,
    proposed,
    second_vendor_member,
    second_vendor_org,
)
