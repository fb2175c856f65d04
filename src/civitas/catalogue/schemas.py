"""What a service is made of, validated before anything is written."""

from __future__ import annotations

from datetime import time
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    HttpUrl,
    StringConstraints,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from civitas.core.i18n import N_
from civitas.core.types import (
    Code,
    CurrencyCode,
    I18nShortText,
    I18nText,
    OptionalI18nText,
    invalid,
)


class Category(StrEnum):
    CITIZENS_OFFICE = "citizens_office"
    WASTE = "waste"
    RECYCLING = "recycling"
    TRANSPORT = "transport"
    ROADS = "roads"
    LIBRARY = "library"
    CULTURE = "culture"
    ADULT_EDUCATION = "adult_education"
    ENVIRONMENT = "environment"
    SOCIAL = "social"
    BUSINESS = "business"
    BUILDING = "building"


class LifeSituation(StrEnum):
    MOVING = "moving"
    BIRTH = "birth"
    MARRIAGE = "marriage"
    DEATH = "death"
    EDUCATION = "education"
    WORK = "work"
    BUSINESS = "starting_business"
    HOUSING = "housing"
    MOBILITY = "mobility"
    HOUSEHOLD = "household"
    LEISURE = "leisure"
    OLD_AGE = "old_age"
    HARDSHIP = "hardship"


class Channel(StrEnum):
    ONLINE = "online"
    OFFICE = "office"
    PHONE = "phone"
    CHATBOT = "chatbot"
    OPEN311 = "open311"


Day = Literal["mo", "tu", "we", "th", "fr", "sa", "su"]
Keyword = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
Datatype = Literal["string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"]


class Fee(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: OptionalI18nText = Field(default_factory=dict)
    amount_minor: int = Field(ge=0, le=10**12, description="integer minor units, e.g. cents")
    currency: CurrencyCode


class Document(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: Code
    name: I18nShortText
    description: OptionalI18nText = Field(default_factory=dict)


class LegalReference(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: I18nShortText
    url: HttpUrl


# A local time of day, "08:00" or "08:00:00": OpenAPI's ``format: time`` is RFC 3339's
# full-time, which needs an offset that opening hours do not have
def _local_clock(value: time) -> time:
    if value.tzinfo is not None:
        raise invalid("Give a local time of day such as 08:00, without a UTC offset.")
    return value


ClockTime = Annotated[
    time,
    AfterValidator(_local_clock),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$",
            "examples": ["08:00", "16:30:00"],
        }
    ),
]


class OpeningHours(BaseModel):
    model_config = ConfigDict(extra="forbid")

    days: list[Day] = Field(min_length=1)
    opens: ClockTime
    closes: ClockTime

    @model_validator(mode="after")
    def _order(self) -> OpeningHours:
        if self.closes <= self.opens:
            raise invalid("closes must be later than opens (e.g. opens 08:00, closes 16:30).")
        return self


class AttributeValue(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str = Field(min_length=1, max_length=60)
    name: I18nShortText


class Attribute(BaseModel):
    """An Open311 GeoReport v2 attribute of a service definition."""

    model_config = ConfigDict(extra="forbid")

    code: Code
    datatype: Datatype
    description: I18nShortText = Field(description="the question shown to the reporter")
    required: bool = False
    variable: bool = True
    order: int = Field(ge=1, le=1000)
    datatype_description: OptionalI18nText = Field(default_factory=dict)
    values: list[AttributeValue] = Field(default_factory=list)

    @model_validator(mode="after")
    def _values_fit_datatype(self) -> Attribute:
        is_list = self.datatype in ("singlevaluelist", "multivaluelist")
        if is_list and not self.values:
            raise invalid(
                "A {datatype} attribute needs values (key and name).", datatype=self.datatype
            )
        if not is_list and self.values:
            raise invalid(
                "A {datatype} attribute takes no values; remove them.", datatype=self.datatype
            )
        keys = [v.key for v in self.values]
        if len(keys) != len(set(keys)):
            raise invalid("Value keys must be unique within an attribute.")
        return self


class Open311(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal["realtime", "batch", "blackbox"] = "realtime"
    keywords: list[Keyword] = Field(default_factory=list)
    group: str | None = Field(default=None, max_length=100)
    attributes: list[Attribute] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique(self) -> Open311:
        codes = [a.code for a in self.attributes]
        if len(codes) != len(set(codes)):
            raise invalid("Attribute codes must be unique within a service.")
        orders = [a.order for a in self.attributes]
        if len(orders) != len(set(orders)):
            raise invalid("Attribute order numbers must be unique within a service.")
        return self


class PublicLocation(StrEnum):
    """How a service's requests may be shown in public."""

    EXACT = "exact"
    COARSE = "coarse"
    NEVER = "never"


class ServiceIn(BaseModel):
    """A whole service as a city administrator writes it (API, YAML or CSV)."""

    model_config = ConfigDict(extra="forbid")

    code: Code
    name: I18nShortText
    description: I18nText
    category: Category
    life_situation: LifeSituation | None = None
    channels: list[Channel] = Field(min_length=1)
    department: Code
    fees: list[Fee] = Field(default_factory=list)
    eligibility: I18nText | None = None  # who can use it
    documents: list[Document] = Field(default_factory=list)
    legal_basis: list[LegalReference] = Field(default_factory=list)
    target_hours: int | None = Field(default=None, ge=1, le=24 * 365)
    opening_hours: list[OpeningHours] = Field(default_factory=list)
    open311: Open311 = Field(default_factory=Open311)
    published: bool = True
    at_home: bool = Field(
        default=False,
        description="Delivered at the resident's home (a pickup, a home visit): its requests "
        "carry a home address, so they are never shown in public unless the city chooses "
        "the coarse grid.",
    )
    public_location: PublicLocation | None = Field(
        default=None,
        description="How the requests of this service may be shown in public (the list and "
        "map of reported requests, Open311, open data): 'exact', 'coarse' (a grid cell of "
        "about 500 m, no address) or 'never'. Default: 'never' for services delivered at "
        "home, else 'exact'.",
    )

    @field_validator("channels")
    @classmethod
    def _unique_channels(cls, value: list[Channel]) -> list[Channel]:
        return list(dict.fromkeys(value))

    @model_validator(mode="after")
    def _consistent(self) -> ServiceIn:
        docs = [d.code for d in self.documents]
        if len(docs) != len(set(docs)):
            raise invalid("Document codes must be unique within a service.")
        if self.open311.attributes and Channel.OPEN311 not in self.channels:
            raise invalid("Open311 attributes need the channel 'open311' in channels.")
        if self.public_location is None:
            self.public_location = PublicLocation.NEVER if self.at_home else PublicLocation.EXACT
        elif self.at_home and self.public_location == PublicLocation.EXACT:
            raise invalid(
                "A service delivered at home cannot show its requests' exact location in "
                "public: choose 'coarse' or 'never' for public_location."
            )
        return self


class ServiceRead(ServiceIn):
    model_config = ConfigDict(extra="ignore")


LABELS: dict[str, dict[str, str]] = {
    "category": {
        Category.CITIZENS_OFFICE: N_("Citizens' office"),
        Category.WASTE: N_("Waste and cleanliness"),
        Category.RECYCLING: N_("Recycling"),
        Category.TRANSPORT: N_("Transport and parking"),
        Category.ROADS: N_("Streets and lighting"),
        Category.LIBRARY: N_("Library"),
        Category.CULTURE: N_("Culture and museums"),
        Category.ADULT_EDUCATION: N_("Adult education"),
        Category.ENVIRONMENT: N_("Environment"),
        Category.SOCIAL: N_("Social services"),
        Category.BUSINESS: N_("Business and trade"),
        Category.BUILDING: N_("Building and planning"),
    },
    "life_situation": {
        LifeSituation.MOVING: N_("Moving house"),
        LifeSituation.BIRTH: N_("Having a child"),
        LifeSituation.MARRIAGE: N_("Getting married"),
        LifeSituation.DEATH: N_("Death of a relative"),
        LifeSituation.EDUCATION: N_("Learning and school"),
        LifeSituation.WORK: N_("Work"),
        LifeSituation.BUSINESS: N_("Starting a business"),
        LifeSituation.HOUSING: N_("Housing and building"),
        LifeSituation.MOBILITY: N_("Getting around"),
        LifeSituation.HOUSEHOLD: N_("Home and household"),
        LifeSituation.LEISURE: N_("Leisure"),
        LifeSituation.OLD_AGE: N_("Older age"),
        LifeSituation.HARDSHIP: N_("Financial hardship"),
    },
    "channel": {
        Channel.ONLINE: N_("Online"),
        Channel.OFFICE: N_("In person at the office"),
        Channel.PHONE: N_("By phone (hotline)"),
        Channel.CHATBOT: N_("Chatbot"),
        Channel.OPEN311: N_("Report apps (Open311)"),
    },
    "day": {
        "mo": N_("Monday"),
        "tu": N_("Tuesday"),
        "we": N_("Wednesday"),
        "th": N_("Thursday"),
        "fr": N_("Friday"),
        "sa": N_("Saturday"),
        "su": N_("Sunday"),
    },
}


def label(kind: str, key: str) -> str:
    """The English msgid naming a vocabulary entry; translate it where it is shown."""
    return LABELS[kind].get(key, key)
