"""Pieces every resource shares: Komodo's enums, the resource envelope, list items, queries and targets."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Generic, TypeVar

from pydantic import Field, field_validator

from contracts.base import KomodoModel, MongoId, id_field

I64 = int
"""Komodo's millisecond timestamps and other 64-bit integers."""

MAX_PAGE = (2**63 - 1) // 10_000
"""The largest page number: page times page size (up to 10 000) stays a 64-bit integer, as MongoDB's skip needs."""
Page = Annotated[int, Field(ge=0, le=MAX_PAGE)]
"""A page number of a paged list, from 0 (Komodo's u64)."""
Limit = Annotated[int, Field(ge=0)]
"""Items per page of a paged list; 0 for all (Komodo's u64)."""


class Timelength(StrEnum):
    """Komodo's time lengths, written as strings such as `15-sec`."""

    OneSecond = "1-sec"
    TwoSeconds = "2-sec"
    ThreeSeconds = "3-sec"
    FiveSeconds = "5-sec"
    TenSeconds = "10-sec"
    FifteenSeconds = "15-sec"
    ThirtySeconds = "30-sec"
    OneMinute = "1-min"
    TwoMinutes = "2-min"
    ThreeMinutes = "3-min"
    FiveMinutes = "5-min"
    TenMinutes = "10-min"
    FifteenMinutes = "15-min"
    ThirtyMinutes = "30-min"
    OneHour = "1-hr"
    TwoHours = "2-hr"
    ThreeHours = "3-hr"
    SixHours = "6-hr"
    EightHours = "8-hr"
    TwelveHours = "12-hr"
    OneDay = "1-day"
    TwoDay = "2-day"
    ThreeDay = "3-day"
    OneWeek = "1-wk"
    TwoWeeks = "2-wk"
    ThirtyDays = "30-day"


_UNIT_SECONDS = {"sec": 1, "min": 60, "hr": 3600, "day": 86400, "wk": 604800}


def timelength_seconds(value: Timelength | str) -> int:
    """Number of seconds in a Timelength such as `15-sec` or `1-wk`."""
    amount, unit = Timelength(value).value.split("-")
    return int(amount) * _UNIT_SECONDS[unit]


class SeverityLevel(StrEnum):
    """Severity of an alert."""

    Ok = "OK"
    Warning = "WARNING"
    Critical = "CRITICAL"


class TerminationSignal(StrEnum):
    """Signal sent to stop a container."""

    SigHup = "SIGHUP"
    SigInt = "SIGINT"
    SigQuit = "SIGQUIT"
    SigTerm = "SIGTERM"


_SIGNAL_ALIASES = {"1": "SIGHUP", "2": "SIGINT", "3": "SIGQUIT", "15": "SIGTERM"}


def parse_termination_signal(value: Any) -> Any:
    """Accept Komodo's numeric aliases ("15" for SIGTERM)."""
    if isinstance(value, int | str) and str(value) in _SIGNAL_ALIASES:
        return _SIGNAL_ALIASES[str(value)]
    return value


class SearchCombinator(StrEnum):
    """How several log search terms combine."""

    Or = "Or"
    And = "And"


class ScheduleFormat(StrEnum):
    """How a schedule is written."""

    English = "English"
    Cron = "Cron"


class FileFormat(StrEnum):
    """Format of free-form arguments."""

    KeyValue = "key_value"
    Toml = "toml"
    Yaml = "yaml"
    Json = "json"


class PermissionLevel(StrEnum):
    """Levels of permission on a resource, in increasing order."""

    None_ = "None"
    Read = "Read"
    Execute = "Execute"
    Write = "Write"

    @property
    def rank(self) -> int:
        """Position in None < Read < Execute < Write."""
        return list(PermissionLevel).index(self)


class SpecificPermission(StrEnum):
    """Permissions beyond the level."""

    Terminal = "Terminal"
    Attach = "Attach"
    Inspect = "Inspect"
    Logs = "Logs"
    Processes = "Processes"


class PermissionLevelAndSpecifics(KomodoModel):
    """A level plus specific permissions."""

    level: PermissionLevel = PermissionLevel.None_
    """The permission level."""
    specific: list[SpecificPermission] = Field(default_factory=list)
    """Specific permissions granted in addition to the level."""


def parse_permission(value: Any) -> Any:
    """Accept a bare level string (`"Read"`) where Komodo accepts it."""
    if isinstance(value, str):
        return {"level": value, "specific": []}
    return value


class TagQueryBehavior(StrEnum):
    """How tag filters combine in a resource query."""

    All = "All"
    Any = "Any"


class TemplatesQueryBehavior(StrEnum):
    """Whether template resources are included in a query."""

    Include = "Include"
    Exclude = "Exclude"
    Only = "Only"


class ResourceTargetVariant(StrEnum):
    """Kinds of target an Update, permission or alert can refer to."""

    System = "System"
    Swarm = "Swarm"
    Server = "Server"
    Stack = "Stack"
    Deployment = "Deployment"
    Build = "Build"
    Repo = "Repo"
    Procedure = "Procedure"
    Action = "Action"
    Builder = "Builder"
    Alerter = "Alerter"
    ResourceSync = "ResourceSync"
    ServerTemplate = "ServerTemplate"


class ResourceTarget(KomodoModel):
    """Reference to one resource of any type: `{"type": "Server", "id": "..."}`."""

    type: ResourceTargetVariant
    """The resource type."""
    id: str = ""
    """The resource id (a name is accepted on input and resolved to the id)."""

    @classmethod
    def system(cls) -> ResourceTarget:
        """The `System` target used by updates that concern no single resource."""
        return cls(type=ResourceTargetVariant.System, id="")


class Version(KomodoModel):
    """A semantic version; `0.0.0` means "none" or "latest"."""

    major: int = 0
    """Major number."""
    minor: int = 0
    """Minor number."""
    patch: int = 0
    """Patch number."""

    @classmethod
    def parse(cls, value: Any) -> Any:
        """Accept `"1.2.3"` as well as the object form."""
        if isinstance(value, str):
            parts = [p for p in value.strip().lstrip("v").split(".") if p]
            if len(parts) > 3 or not all(p.isdigit() for p in parts):
                raise ValueError(f"invalid version {value!r}: expected MAJOR.MINOR.PATCH")
            nums = [int(p) for p in parts] + [0] * (3 - len(parts))
            return {"major": nums[0], "minor": nums[1], "patch": nums[2]}
        return value

    def is_none(self) -> bool:
        """Whether this is `0.0.0`."""
        return self.major == 0 and self.minor == 0 and self.patch == 0

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}"


class SystemCommand(KomodoModel):
    """A shell command run in a folder (multi-line commands are joined with `&&`)."""

    path: str = ""
    """Folder the command runs in."""
    command: str = ""
    """The command; several lines run one after the other."""
    shell_mode: bool = False
    """Run the command through a shell instead of as an argument list."""


class MaintenanceScheduleType(StrEnum):
    """How a maintenance window repeats."""

    Daily = "Daily"
    Weekly = "Weekly"
    OneTime = "OneTime"


class MaintenanceWindow(KomodoModel):
    """A period in which alerts are suppressed."""

    name: str
    """Name of the window."""
    description: str = ""
    """What maintenance happens."""
    schedule_type: MaintenanceScheduleType = MaintenanceScheduleType.Daily
    """Daily, Weekly or OneTime."""
    day_of_week: str = ""
    """For Weekly windows, the day (`Monday` or `mon`)."""
    date: str = ""
    """For OneTime windows, the date (YYYY-MM-DD)."""
    hour: int = Field(default=0, ge=0, le=23)
    """Start hour (0-23)."""
    minute: int = Field(default=0, ge=0, le=59)
    """Start minute (0-59)."""
    duration_minutes: int = Field(ge=0)
    """Length of the window in minutes."""
    timezone: str = ""
    """IANA time zone; empty means the core's."""
    enabled: bool = True
    """Whether the window applies."""


ConfigT = TypeVar("ConfigT", bound=KomodoModel)
InfoT = TypeVar("InfoT")
ListInfoT = TypeVar("ListInfoT")
SpecificT = TypeVar("SpecificT")


class Resource(KomodoModel, Generic[ConfigT, InfoT]):
    """Komodo's resource envelope; the stored document and the answer of `Get<Type>`."""

    id: MongoId = id_field("The Mongo id of the resource.")
    """The Mongo id of the resource."""
    name: str
    """The resource name, unique among resources of its type."""
    description: str = ""
    """A description of the resource."""
    template: bool = False
    """Marks the resource as a template."""
    tags: list[str] = Field(default_factory=list)
    """Tag ids."""
    info: InfoT
    """State the system maintains (not user configurable)."""
    config: ConfigT
    """The resource configuration."""
    base_permission: PermissionLevelAndSpecifics = Field(default_factory=PermissionLevelAndSpecifics)
    """Permission every user has on this resource."""
    updated_at: I64 = 0
    """When the resource was last changed (unix ms)."""

    _coerce_permission = field_validator("base_permission", mode="before")(parse_permission)


class ResourceListItem(KomodoModel, Generic[ListInfoT]):
    """A resource as `List<Type>s` returns it."""

    id: str
    """The resource id."""
    type: ResourceTargetVariant
    """The resource type."""
    name: str
    """The resource name."""
    template: bool = False
    """Whether the resource is a template."""
    tags: list[str] = Field(default_factory=list)
    """Tag ids."""
    info: ListInfoT
    """Type-specific summary."""


class ResourceQuery(KomodoModel, Generic[SpecificT]):
    """Komodo's ResourceQuery: empty lists do not filter."""

    terms: list[str] = Field(default_factory=list)
    """Names must contain all of these terms."""
    names: list[str] = Field(default_factory=list)
    """Exact names (or ids) to return."""
    tags: list[str] = Field(default_factory=list)
    """Tag ids or names."""
    tag_behavior: TagQueryBehavior = TagQueryBehavior.All
    """Whether a resource needs all the tags or any of them."""
    templates: TemplatesQueryBehavior = TemplatesQueryBehavior.Include
    """Whether templates are included, excluded or the only results."""
    specific: SpecificT | None = None
    """Type-specific filters."""


class NoSpecifics(KomodoModel):
    """Query specifics of a type that has none."""
