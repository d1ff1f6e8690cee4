"""The benchmarks' check of the sizes they measured: a benchmark fails rather than compare a
size with itself or report a size it did not measure."""

import pytest

from benchmarks.harness import SizeMismatch, check_sizes, distinct_sizes


def test_sizes_measured_as_named_pass_and_are_printed(capsys):
    # given two sizes, each measured at exactly its row count in a place of its own
    measured = {"1k": 1_000, "10k": 10_000}
    named = {"1k": 1_000, "10k": 10_000}

    # when they are checked
    check_sizes(measured, named, places={"1k": "db_1000", "10k": "db_10000"})

    # then nothing is raised and both counts are printed beside the sizes named
    assert capsys.readouterr().out == (
        "  sizes     1k: 1,000 rows measured (named 1,000) in db_1000 · "
        "10k: 10,000 rows measured (named 10,000) in db_10000\n"
    )


def test_every_size_measured_on_the_largest_seed_fails():
    # given every size seeded into one shared table, as when per-size data are not separate
    measured = {"1k": 10_000, "10k": 10_000}

    # when / then
    with pytest.raises(SizeMismatch, match="1k measured 10000 rows, not 1000"):
        check_sizes(measured, {"1k": 1_000, "10k": 10_000})


def test_a_size_not_measured_fails():
    with pytest.raises(SizeMismatch, match="10k measured None rows, not 10000"):
        check_sizes({"1k": 1_000}, {"1k": 1_000, "10k": 10_000})


def test_a_size_measured_but_not_named_fails():
    with pytest.raises(SizeMismatch, match="sizes measured but not named: 1M"):
        check_sizes({"1k": 1_000, "1M": 1_000_000}, {"1k": 1_000})


def test_a_size_compared_with_itself_fails():
    # given two sizes compared with each other that name the same number of rows
    sizes = {"small": 1_000, "large": 1_000}
    places = {"small": "db_small", "large": "db_large"}

    # when / then
    with pytest.raises(SizeMismatch, match="a size is compared with itself"):
        check_sizes(sizes, sizes, places=places)


def test_sizes_not_compared_may_be_equal():
    # given two different things that happen to have as many rows, not compared
    sizes = {"uses": 1_000, "background uses": 1_000}

    # when / then: nothing is raised
    check_sizes(sizes, sizes)


def test_two_sizes_measured_in_the_same_place_fail():
    # given the right counts, but both read from one database
    places = {"1k": "likeness", "10k": "likeness"}

    # when / then
    with pytest.raises(SizeMismatch, match="do not each have a place of their own"):
        check_sizes({"1k": 1_000, "10k": 10_000}, {"1k": 1_000, "10k": 10_000}, places=places)


def test_one_size_compared_fails():
    # given a comparison of one size only: its ratio would be the size over itself
    with pytest.raises(SizeMismatch, match="needs two sizes at least"):
        check_sizes({"1M": 1_000_000}, {"1M": 1_000_000}, places={"1M": "db_1000000"})


def test_sizes_given_twice_fail():
    # given the same size twice on the command line (its label would collapse into one)
    with pytest.raises(SizeMismatch, match="a size is compared with itself"):
        distinct_sizes([10_000, 10_000])


def test_sizes_to_compare_come_back_ascending():
    assert distinct_sizes([1_000_000, 10_000]) == [10_000, 1_000_000]


def test_exclusivity_gives_each_size_a_database_of_its_own(monkeypatch):
    # given DATABASE_URL naming a database already migrated (as `make bench` is run)
    from benchmarks import exclusivity

    monkeypatch.setenv("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/likeness")

    # when each size's database is named
    names = [exclusivity.database_for(size) for size in (1_000, 100_000, 1_000_000)]

    # then none is the migrated one and no two are the same
    assert names == ["likeness_holds_1000", "likeness_holds_100000", "likeness_holds_1000000"]


def test_search_gives_each_size_a_database_of_its_own_and_serves_the_one_asked(monkeypatch):
    from benchmarks import search

    monkeypatch.setenv("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/likeness")

    assert [search.database_for(n) for n in (10_000, 1_000_000)] == [
        "likeness_search_10000",
        "likeness_search_1000000",
    ]
    assert search.url_for(1_000_000) == (
        "postgres://postgres@127.0.0.1:5432/likeness_search_1000000"
    )
