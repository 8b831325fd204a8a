"""Set-based inserts (COPY on PostgreSQL): new rows get their ids and read back as written."""

from __future__ import annotations

import pytest

from kengen.core.bulk import by_pk, ids_in, insert_many, insert_rows, write_tuples
from kengen.organizations.models import Post

pytestmark = pytest.mark.django_db


def test_insert_many_sets_the_ids_and_writes_every_field():
    posts = [
        Post(code=f"bulk-{i}", name=f"職{i}", kana="ショク", rank=300 + i, unit_kinds=["section"])
        for i in range(3)
    ]
    insert_many(posts)
    assert all(p.pk is not None for p in posts)
    stored = by_pk(Post.objects.all(), [p.pk for p in posts])
    assert [
        (stored[p.pk].code, stored[p.pk].name, stored[p.pk].rank, stored[p.pk].unit_kinds) for p in posts
    ] == [(f"bulk-{i}", f"職{i}", 300 + i, ["section"]) for i in range(3)]
    later = Post.objects.create(code="after", name="後", rank=1)  # the sequence moved past them
    assert later.pk not in {p.pk for p in posts}


def test_write_tuples_and_ids_in():
    write_tuples(
        Post, ("code", "name", "kana", "is_head", "rank", "unit_kinds"), [("t-1", "一", "", False, 5, "[]")]
    )
    post = Post.objects.get(code="t-1")
    assert (post.name, post.rank, post.unit_kinds) == ("一", 5, [])
    assert list(Post.objects.filter(pk__in=ids_in([post.pk, 0])).values_list("code", flat=True)) == ["t-1"]


def test_insert_rows_returns_the_new_ids_in_order():
    Post.objects.create(code="before", name="前", rank=1)
    ids = insert_rows(
        Post,
        ("code", "name", "kana", "is_head", "rank", "unit_kinds"),
        [(f"r-{i}", f"行{i}", "", False, i, "[]") for i in range(3)],
    )
    assert [Post.objects.get(pk=i).code for i in ids] == ["r-0", "r-1", "r-2"]
    later = Post.objects.create(code="after", name="後", rank=1)
    assert later.pk not in ids
