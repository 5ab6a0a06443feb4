"""Every page of the app, once: its file, title, menu entry, who may open it and on which portal it is served.

The menu (ui/layout.py), the guard every page runs first (`page_setup`), the portals (ui/portal.py) and the
tests' access matrix all read this table; a new page is one entry here plus its file under pages/.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from flows.identity.units import UNIT_VERIFIERS
from flows.review.transitions import OFFICER_ROLES, Role

ROOT = Path(__file__).resolve().parent.parent


class Portal(StrEnum):
    INTERNET = "internet"  # applicants, from the internet
    POLICE = "police"  # officers, the administrator and the auditor, from the police network
    BOTH = "both"  # either portal (and the demo, which is both at once)


@dataclass(frozen=True)
class Page:
    id: str  # the file's stem ("pages/my_cases.py" -> "my_cases"), "home" for streamlit_app.py
    file: str  # the file, relative to the repository: what st.page_link and st.switch_page take
    title: str  # the browser tab's title and the title shown to whoever may not open the page
    label: str  # the menu entry
    icon: str
    portal: Portal
    roles: frozenset[Role] | None = None  # who may open it once logged in; None: every role
    public: bool = False  # a visitor who is not logged in may open it too
    menu_for: frozenset[Role] | None = None  # who sees it in the menu when that differs from `roles`
    in_menu: bool = True

    def admits(self, role: Role | None) -> bool:
        """Whether someone of this role (None: a visitor not logged in) may open the page."""
        if role is None:
            return self.public
        return self.roles is None or role in self.roles

    def in_menu_of(self, role: Role | None) -> bool:
        if not self.in_menu:
            return False
        if self.menu_for is not None:
            return role in self.menu_for
        return self.admits(role)


HOME = "home"
_REPORT_READERS = frozenset({Role.PREFECTURE, Role.PROVINCE})

PAGES: tuple[Page, ...] = (
    Page(HOME, "streamlit_app.py", "保安业务网上自助办理", "首页", ":material/home:", Portal.BOTH, public=True),
    Page("assistant", "pages/assistant.py", "申请办理", "申请办理", ":material/edit_note:", Portal.INTERNET,
         public=True, menu_for=frozenset({Role.APPLICANT})),  # a visitor registers or logs in there
    Page("my_cases", "pages/my_cases.py", "我的办件", "我的办件", ":material/folder_open:", Portal.INTERNET,
         roles=frozenset({Role.APPLICANT})),
    Page("queue", "pages/queue.py", "待办队列", "待办队列", ":material/inbox:", Portal.POLICE, roles=OFFICER_ROLES),
    Page("case", "pages/case.py", "办件审核", "办件审核", ":material/assignment:", Portal.POLICE, roles=OFFICER_ROLES,
         in_menu=False),  # opened from the queue
    Page("ledger", "pages/ledger.py", "台账", "台账", ":material/table_view:", Portal.POLICE, roles=OFFICER_ROLES),
    Page("report", "pages/report.py", "工作通报", "工作通报", ":material/bar_chart:", Portal.POLICE,
         roles=_REPORT_READERS),
    Page("feedback_inbox", "pages/feedback_inbox.py", "意见反馈", "意见反馈", ":material/forum:", Portal.POLICE,
         roles=_REPORT_READERS),
    Page("units", "pages/units.py", "单位核验", "单位核验", ":material/domain_verification:", Portal.POLICE,
         roles=UNIT_VERIFIERS),
    Page("admin", "pages/admin.py", "系统管理", "系统管理", ":material/settings:", Portal.POLICE,
         roles=frozenset({Role.ADMIN})),
    Page("audit", "pages/audit.py", "审计日志", "审计日志", ":material/policy:", Portal.POLICE,
         roles=frozenset({Role.AUDITOR})),
    Page("unit_accounts", "pages/unit_accounts.py", "单位账号", "单位账号", ":material/group:", Portal.INTERNET,
         roles=frozenset({Role.APPLICANT})),
    Page("password", "pages/password.py", "修改密码", "修改密码", ":material/key:", Portal.BOTH),
    Page("service_guide", "pages/service_guide.py", "办事指南", "办事指南", ":material/menu_book:", Portal.INTERNET,
         public=True),
    Page("verify", "pages/verify.py", "证书核验", "证书核验", ":material/verified:", Portal.INTERNET, public=True),
)
BY_ID: dict[str, Page] = {page.id: page for page in PAGES}
BY_FILE: dict[str, Page] = {page.file: page for page in PAGES}


def page(page_id: str) -> Page:
    return BY_ID[page_id]


def page_key(path: str) -> str:
    """A page's id from its file: "pages/queue.py" -> "queue", "streamlit_app.py" -> "home"."""
    stem = Path(path).stem
    return HOME if stem == "streamlit_app" else stem


def shipped(entry: Page) -> bool:
    """Whether this build has the page's file (a build may leave pages out)."""
    return (ROOT / entry.file).exists()
