"""Demo sign-in accounts: one per persona, all with the password ``demo``."""

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password

from civicgrid.access.roles import Role

DEMO_PASSWORD = "demo"  # noqa: S105 - published in the README on purpose

# place: name of the scope place; organisation: code of the department.
DEMO_ACCOUNTS = [
    {"username": "admin", "role": Role.ADMIN, "scope": "城关区", "display_name": "次旦平措",
     "place": "城关区", "organisation": None},
    {"username": "zexin", "role": Role.STAFF, "scope": "泽新社区", "display_name": "央金卓玛",
     "place": "泽新社区", "organisation": None},
    {"username": "lugu", "role": Role.STAFF, "scope": "鲁固社区", "display_name": "普布曲珍",
     "place": "鲁固社区", "organisation": None},
    {"username": "grid01", "role": Role.GRID_WORKER, "scope": "泽新社区第1网格",
     "display_name": "达瓦次仁", "place": "泽新社区第1网格", "organisation": None},
    {"username": "fire", "role": Role.DEPARTMENT, "scope": "城关区消防救援大队",
     "display_name": "索朗旺堆", "place": None, "organisation": "fire"},
    {"username": "power", "role": Role.DEPARTMENT, "scope": "国网拉萨供电公司城关供电中心",
     "display_name": "格桑多吉", "place": None, "organisation": "power"},
    {"username": "doctor", "role": Role.DOCTOR, "scope": "泽新社区", "display_name": "白玛央宗",
     "place": "泽新社区", "organisation": None},
    {"username": "volunteer", "role": Role.VOLUNTEER, "scope": "泽新社区",
     "display_name": "旦增曲珍", "place": "泽新社区", "organisation": None},
    {"username": "rider", "role": Role.MOBILE_GRID_WORKER, "scope": "城关区",
     "display_name": "扎西", "place": "城关区", "organisation": None},
    {"username": "mediator", "role": Role.MEDIATOR, "scope": "卓玛调解室(吉日社区)",
     "display_name": "格桑次仁", "place": "吉日社区", "organisation": None},
]  # fmt: skip
USERNAMES = [a["username"] for a in DEMO_ACCOUNTS]


def save_accounts(places: dict, organisations: dict) -> list:
    """Create or update every demo account. ``places`` maps names to Place,
    ``organisations`` codes to Organisation."""
    User = get_user_model()
    # One hash for all: the password is public, and each hash takes ~0.3 s.
    password = make_password(DEMO_PASSWORD)
    users = []
    for account in DEMO_ACCOUNTS:
        user = User.objects.filter(username=account["username"]).first() or User(
            username=account["username"]
        )
        user.role = account["role"]
        user.display_name = account["display_name"]
        user.scope_place = places[account["place"]] if account["place"] else None
        user.organisation = (
            organisations[account["organisation"]] if account["organisation"] else None
        )
        user.is_staff = account["role"] == Role.ADMIN
        user.is_superuser = False
        user.is_active = True
        user.password = password
        user.save()
        users.append(user)
    return users
