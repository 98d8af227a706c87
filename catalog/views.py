"""Pages: the 品目 tree with its green and canteen-food flags."""

from __future__ import annotations

from flask import Blueprint, render_template

from catalog.categories import tree
from mall.web import db

bp = Blueprint("catalog", __name__, template_folder="templates")


@bp.get("/categories")
def category_tree():
    return render_template("catalog/tree.html", rows=tree(db()))
