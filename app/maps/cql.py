"""OGC API - Features Part 3 filters: CQL2 text parsed by pygeofilter, translated to SQLAlchemy
by our own evaluator so that only the declared queryables, with their types, can be used.

pygeofilter's own SQLAlchemy backend accepts any column name it is given and lets a type
mismatch (`status = 5`) reach PostgreSQL as a 500; here both are a 400 that names the problem.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from pygeofilter import ast, values
from pygeofilter.backends.evaluator import Evaluator, handle
from pygeofilter.parsers.cql2_text import parse as parse_cql2_text
from shapely.geometry import shape
from sqlalchemy import and_, func, literal, not_, or_

from app.exceptions import BadRequest
from geo.filters import envelope
from geo.points import WGS84

STRING, NUMBER, DATETIME, BOOLEAN, GEOMETRY = "string", "number", "datetime", "boolean", "geometry"
ORDERED = {STRING, NUMBER, DATETIME}
SPATIAL_FUNCTIONS = {
    ast.GeometryIntersects: func.ST_Intersects,
    ast.GeometryDisjoint: func.ST_Disjoint,
    ast.GeometryWithin: func.ST_Within,
    ast.GeometryContains: func.ST_Contains,
    ast.GeometryEquals: func.ST_Equals,
    ast.GeometryTouches: func.ST_Touches,
    ast.GeometryCrosses: func.ST_Crosses,
    ast.GeometryOverlaps: func.ST_Overlaps,
}


@dataclass(frozen=True)
class Queryable:
    """A property a filter may name: its SQL expression and its type."""

    column: Any
    kind: str
    description: str
    enum: tuple[str, ...] = ()


@dataclass(frozen=True)
class Operand:
    """A translated sub-expression with the type it has."""

    sql: Any
    kind: str


def parse_filter(text: str, queryables: dict[str, Queryable]) -> Any:
    """SQL condition for a CQL2 text filter; BadRequest for bad syntax, unknown properties,
    mismatched types or unsupported operators."""
    try:
        tree = parse_cql2_text(text)
    except Exception as error:  # lark raises many classes; all mean bad syntax
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else ""
        raise BadRequest(f"filter is not valid CQL2 text: {first_line}"[:300]) from None
    result = _Translator(queryables).evaluate(tree)
    if isinstance(result, Operand):
        if result.kind != BOOLEAN:
            raise BadRequest("filter must be a condition, not a value")
        return result.sql
    return result


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise BadRequest(message)


def _literal_datetime(value: date | datetime) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.combine(value, time.min, tzinfo=UTC)


class _Translator(Evaluator):
    """Evaluates the pygeofilter tree bottom-up into Operands and SQL conditions."""

    def __init__(self, queryables: dict[str, Queryable]) -> None:
        self.queryables = queryables

    def adopt(self, node, *sub_args):
        """Anything without a handler below is a CQL2 feature this server does not offer."""
        raise BadRequest(f"filter uses {type(node).__name__}, which this server does not support")

    @handle(ast.Attribute)
    def attribute(self, node):
        queryable = self.queryables.get(node.name)
        if queryable is None:
            names = ", ".join(sorted(self.queryables))
            raise BadRequest(f"filter names unknown property {node.name!r}; queryables: {names}")
        return Operand(queryable.column, queryable.kind)

    @handle(*values.LITERALS)
    def literal_value(self, node):
        if isinstance(node, bool):
            return Operand(literal(node), BOOLEAN)
        if isinstance(node, int | float):
            return Operand(literal(node), NUMBER)
        if isinstance(node, str):
            return Operand(literal(node), STRING)
        if isinstance(node, date):  # datetime is a date too
            return Operand(literal(_literal_datetime(node)), DATETIME)
        raise BadRequest(f"filter uses a {type(node).__name__} value, which is not supported")

    @handle(values.Geometry)
    def geometry(self, node):
        try:
            parsed = shape(node.geometry)
        except (ValueError, TypeError, AttributeError) as error:
            raise BadRequest(f"filter geometry is not valid: {error}") from None
        _require(parsed.is_valid, "filter geometry is not valid (e.g. a self-intersecting ring)")
        return Operand(func.ST_GeomFromText(parsed.wkt, WGS84), GEOMETRY)

    @handle(values.Envelope)
    def envelope_value(self, node):
        return Operand(envelope(node.x1, node.y1, node.x2, node.y2), GEOMETRY)

    @handle(ast.Function)
    def function(self, node, *arguments):
        _require(node.name.lower() == "bbox", f"filter function {node.name!r} is not supported")
        _require(len(arguments) == 4 and all(a.kind == NUMBER for a in arguments),
                 "BBOX takes four numbers: min long, min lat, max long, max lat")
        return Operand(envelope(*(a.sql for a in arguments)), GEOMETRY)

    @handle(ast.Not)
    def negation(self, node, sub):
        return Operand(not_(self._condition(sub)), BOOLEAN)

    @handle(ast.And, ast.Or)
    def combination(self, node, lhs, rhs):
        join = and_ if isinstance(node, ast.And) else or_
        return Operand(join(self._condition(lhs), self._condition(rhs)), BOOLEAN)

    @handle(ast.Comparison, subclasses=True)
    def comparison(self, node, lhs, rhs):
        self._same_kind(lhs, rhs, node.op.value)
        if not isinstance(node, ast.Equal | ast.NotEqual):
            _require(lhs.kind in ORDERED, f"{node.op.value} does not apply to a {lhs.kind}")
        operators = {
            ast.Equal: lambda a, b: a == b, ast.NotEqual: lambda a, b: a != b,
            ast.LessThan: lambda a, b: a < b, ast.LessEqual: lambda a, b: a <= b,
            ast.GreaterThan: lambda a, b: a > b, ast.GreaterEqual: lambda a, b: a >= b,
        }
        return Operand(operators[type(node)](lhs.sql, rhs.sql), BOOLEAN)

    @handle(ast.Between)
    def between(self, node, lhs, low, high):
        self._same_kind(lhs, low, "BETWEEN")
        self._same_kind(lhs, high, "BETWEEN")
        _require(lhs.kind in ORDERED, f"BETWEEN does not apply to a {lhs.kind}")
        condition = lhs.sql.between(low.sql, high.sql)
        return Operand(not_(condition) if node.not_ else condition, BOOLEAN)

    @handle(ast.Like)
    def like(self, node, lhs):
        _require(lhs.kind == STRING, "LIKE applies to text properties only")
        _require(isinstance(node.pattern, str), "LIKE needs a quoted pattern")
        condition = lhs.sql.ilike(node.pattern) if node.nocase else lhs.sql.like(node.pattern)
        return Operand(not_(condition) if node.not_ else condition, BOOLEAN)

    @handle(ast.In)
    def in_list(self, node, lhs, *options):
        for option in options:
            self._same_kind(lhs, option, "IN")
        condition = lhs.sql.in_([option.sql for option in options])
        return Operand(not_(condition) if node.not_ else condition, BOOLEAN)

    @handle(ast.IsNull)
    def is_null(self, node, lhs):
        return Operand(lhs.sql.is_not(None) if node.not_ else lhs.sql.is_(None), BOOLEAN)

    @handle(*SPATIAL_FUNCTIONS)
    def spatial(self, node, lhs, rhs):
        _require(lhs.kind == GEOMETRY and rhs.kind == GEOMETRY,
                 f"{node.op.value} compares two geometries")
        return Operand(SPATIAL_FUNCTIONS[type(node)](lhs.sql, rhs.sql), BOOLEAN)

    @staticmethod
    def _same_kind(lhs: Operand, rhs: Operand, operator: str) -> None:
        _require(lhs.kind == rhs.kind, f"{operator} compares a {lhs.kind} with a {rhs.kind}")

    @staticmethod
    def _condition(operand: Operand) -> Any:
        _require(operand.kind == BOOLEAN, "AND, OR and NOT combine conditions, not values")
        return operand.sql
