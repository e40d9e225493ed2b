"""flask-smorest's Blueprint with the argument parsing every surface shares."""

import flask_smorest
from webargs.flaskparser import FlaskParser
from webargs.multidictproxy import MultiDictProxy
from werkzeug.datastructures import MultiDict


def _without_empty(values: MultiDict) -> MultiDict:
    # GeoReport v2 "Optional Arguments": an empty parameter is the same as an absent one
    # (the open311 PyPI client always sends jurisdiction_id=).
    return MultiDict([(k, v) for k, v in values.items(multi=True) if v != ""])


class Parser(FlaskParser):
    """400 for invalid input (not 422); empty values dropped; "form" means the query string
    plus the form, as GeoReport v2 clients put api_key in the query string of a POST."""

    DEFAULT_VALIDATION_STATUS = 400

    def load_querystring(self, req, schema):
        return MultiDictProxy(_without_empty(req.args), schema)

    def load_form(self, req, schema):
        return MultiDictProxy(_without_empty(req.values), schema)

    def load_json(self, req, schema):
        # A JSON body is documented; an HTML form posting the same fields is accepted too.
        if req.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            return MultiDictProxy(_without_empty(req.form), schema)
        return super().load_json(req, schema)


class Blueprint(flask_smorest.Blueprint):
    """A flask-smorest blueprint using our Parser."""

    ARGUMENTS_PARSER = Parser()

    def arguments(self, schema, **kwargs):
        """flask-smorest's arguments, with one schema instance made here: given a class,
        webargs would instantiate it on every request (py-spy, issue 12)."""
        if isinstance(schema, type):
            schema = schema()
        return super().arguments(schema, **kwargs)
