"""The survey's answers, as a resident gives them."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

Score = Annotated[int, Field(ge=1, le=5)]
AgeBand = Literal["under-18", "18-29", "30-44", "45-64", "65-79", "80+"]
Gender = Literal["female", "male", "diverse", "not-say"]
DRIVERS = ("timeliness", "knowledge", "courtesy", "fairness", "outcome")


class Drivers(BaseModel):
    """The Common Measurements Tool's drivers of satisfaction, each optional (1–5)."""

    model_config = ConfigDict(extra="forbid")

    timeliness: Score | None = None
    knowledge: Score | None = None
    courtesy: Score | None = None
    fairness: Score | None = None
    outcome: Score | None = None


class SurveyAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    rating: Score = Field(description="Overall: 1 (very dissatisfied) to 5 (very satisfied)")
    effort: Score | None = Field(
        default=None, description="How easy was it: 1 very easy … 5 very difficult (Net Easy)"
    )
    recommend: Annotated[int, Field(ge=0, le=10)] | None = Field(
        default=None, description="Would you recommend this service: 0–10 (NPS)"
    )
    drivers: Drivers = Field(default_factory=Drivers)
    comment: Annotated[str, Field(max_length=2000)] | None = None
    age_band: AgeBand | None = None
    gender: Gender | None = None
    accessibility_needs: bool | None = None
