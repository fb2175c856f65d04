"""The permissions of recycling, and the roles it brings (see its manifest)."""

from enum import StrEnum


class RecyclingPermission(StrEnum):
    RECYCLING_PROGRAMME_MANAGE = "recycling:programme:manage"  # pickers, zones, day plans
    RECYCLING_ROUTE_WORK = "recycling:route:work"  # a picker's own stops and weights
    RECYCLING_SALE_RECORD = "recycling:sale:record"  # sales to buyers, buyers' prices


WASTE_PICKER = "waste_picker"  # a verified reciclador: their own route, weights, income
RECYCLING_BUYER = "recycling_buyer"  # a buyer of recyclables: its prices and purchases
