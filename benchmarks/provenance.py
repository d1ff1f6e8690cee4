"""Content Credentials (issue 18): credentialing throughput per worker, and the /verify
fingerprint look-up at 10k and 1M fingerprints.

What is measured:
1. Throughput: `services.credential_use` (the work of one `credential_use_task`: read the
   picture, embed the XMP fields and sign the credentialed copy, draw the label and sign the
   labelled copy, fingerprint both, store the files and rows) on `--images` uses, each with
   its own 2,000 × 1,500 px JPEG, back to back in this one process: images per minute for
   one worker (one process; a worker with concurrency N runs N of these).
2. Look-up: on PostgreSQL databases holding `--sizes` fingerprints (default 10k and 1M),
   the wall time of
   - `fingerprints.nearest` for hashes no stored picture is near (the common case at
     /verify: a picture Likeness never signed), and for hashes 6 bits from a stored one;
   - `matching.find_match` on a stripped copy (no manifest; halved, JPEG q70, cropped 5 %)
     of a real credentialed picture stored in that database: the whole /verify fallback
     (header probe, c2pa-rs read, hashing, look-up, loading the match).
   The figure of merit is p95 at the largest size over p95 at the smallest; the goal is at
   most 2x for the look-up (`nearest`, misses).

How:
1. Each size lives in a database of its own (DATABASE_URL's name plus `_fp_<size>`), created
   and migrated if missing, seeded once (reused while its count is right; `--reseed` forces
   it): a brand, an active licence, one use with a real picture credentialed through the
   service, then `size - 2` more fingerprints of generated images with random hashes, inserted
   with `INSERT … SELECT generate_series` (indexes dropped and rebuilt), then VACUUM ANALYZE.
2. Count the fingerprints of each size's database, print them beside the sizes named and fail
   (before measuring and again before reporting) unless each is exactly its size, in a
   database of its own (`harness.check_sizes`).
3. Measure each size in alternating order over `--rounds` rounds, so background load weighs
   on both alike. Print the tables; `--json PATH` writes the figures; exit 1 if the goal is
   missed.

Run:  .venv/bin/python -m benchmarks.provenance [--images 20 --sizes 10000,1000000
      --lookups 400 --rounds 2 --reseed --json out.json]
Needs PostgreSQL (DATABASE_URL, default the local `likeness_bench_provenance`) whose user may
create databases.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from benchmarks import harness

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/likeness_bench_provenance"
GOAL_RATIO = 2.0
BANDS = ("p0", "p1", "p2", "p3", "d0", "d1", "d2", "d3")


def configure_django() -> None:
    # Kept between runs: a seeded database's credentialed picture is read back from here.
    private = str(harness.REPO_ROOT / "var" / "bench-provenance")
    harness.configure_django(
        database_url=DEFAULT_DATABASE_URL,
        env={
            "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
            # Follow-up tasks (audit sealing) run in process; the credentialing is timed alone.
            "CELERY_TASK_ALWAYS_EAGER": "true",
            "LIKENESS_PRIVATE_ROOT": private,
            "LIKENESS_MEDIA_ROOT": os.path.join(private, "media"),
        },
    )


def picture(seed: int, size: tuple[int, int] = (2000, 1500)) -> bytes:
    """A photo-like JPEG: random shapes and colours, blurred, with fine noise."""
    from PIL import Image, ImageDraw, ImageFilter

    rng = random.Random(seed)
    width, height = size
    image = Image.new("RGB", size, tuple(rng.randint(0, 255) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    for _ in range(60):
        x0, y0 = rng.randint(-width // 4, width), rng.randint(-height // 4, height)
        x1 = x0 + rng.randint(width // 10, width // 2)
        y1 = y0 + rng.randint(height // 10, height // 2)
        shape = draw.ellipse if rng.random() < 0.5 else draw.rectangle
        shape([x0, y0, x1, y1], fill=tuple(rng.randint(0, 255) for _ in range(3)))
    image = image.filter(ImageFilter.GaussianBlur(3))
    noise = Image.effect_noise(size, 12).convert("RGB")
    image = Image.blend(image, noise, 0.08)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def stripped(data: bytes) -> bytes:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as source:
        image = source.convert("RGB")
    w, h = image.size
    image = image.resize((w // 2, h // 2))
    w, h = image.size
    dx, dy = round(w * 0.025), round(h * 0.025)
    out = io.BytesIO()
    image.crop((dx, dy, w - dx, h - dy)).save(out, "JPEG", quality=70)
    return out.getvalue()


def seed_world() -> tuple[Any, Any]:
    """An empty database with a brand owner and one active licence: (owner, licence)."""
    from benchmarks import usage as usage_bench
    from marketplace.accounts.models import Membership, Role
    from marketplace.licensing.models import Licence

    world = usage_bench.seed(licences=1)
    owner = Membership.objects.get(organisation_id=world.brand_id, role=Role.OWNER)
    return owner, Licence.objects.get(reference=world.references[0])


def report_uses(owner: Any, licence: Any, pictures: list[bytes]) -> list[int]:
    """Uses with pictures, recorded through the service; their copies are not made here."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone

    from marketplace.payments.services import usage
    from marketplace.provenance import tasks

    tasks.credential_use_task.delay = lambda **kwargs: None  # type: ignore[method-assign]
    ids = []
    for i, data in enumerate(pictures):
        report, _ = usage.record_usage(
            by=owner,
            reference=licence.reference,
            data=usage.UsageInput(
                used_on=timezone.localdate(),
                media_type="social",
                territory="DE",
                asset_reference=f"bench/{i}.jpg",
                idempotency_key=f"bench-{i}-{time.time_ns()}",
                image=SimpleUploadedFile(f"{i}.jpg", data, content_type="image/jpeg"),
            ),
        )
        ids.append(report.pk)
    return ids


# --- 1. Throughput -------------------------------------------------------------------------


def throughput(images: int) -> dict[str, float]:
    from marketplace.provenance import services

    use_database(database_for("throughput"))
    harness.migrate()
    owner, licence = seed_world()
    pictures = [picture(1000 + i) for i in range(images + 1)]
    ids = report_uses(owner, licence, pictures)
    services.credential_use(use_id=ids[0])  # warm-up: keys, fonts, c2pa-rs loaded
    times = []
    started = time.perf_counter()
    for use_id in ids[1:]:
        t0 = time.perf_counter()
        made = services.credential_use(use_id=use_id)
        times.append(time.perf_counter() - t0)
        assert made is not None and made.labelled_file
    elapsed = time.perf_counter() - started
    times.sort()
    return {
        "images": images,
        "images_per_minute": images / elapsed * 60,
        "p50_s": statistics.median(times),
        "p95_s": harness.percentile(times, 0.95),
    }


# --- 2. Look-up ----------------------------------------------------------------------------


def database_for(size: int | str) -> str:
    base = harness.database_config(os.environ["DATABASE_URL"])["NAME"]
    return f"{base}_fp_{size}"


def use_database(name: str) -> None:
    from django.db import connection

    harness.ensure_database(os.environ["DATABASE_URL"], name)
    if connection.settings_dict["NAME"] != name:
        connection.close()
        connection.settings_dict["NAME"] = name


def fingerprint_count() -> int:
    from marketplace.provenance.models import Fingerprint

    return Fingerprint.objects.count()


def seed_size(size: int, *, reseed: bool) -> None:
    """`size` fingerprints: two of a real credentialed picture, the rest bulk-inserted."""
    from django.db import connection

    from marketplace.payments.models import UsageReport
    from marketplace.provenance import services

    use_database(database_for(size))
    harness.migrate()
    if not reseed and fingerprint_count() == size:
        return
    print(f"seeding {size:,} fingerprints …", flush=True)
    owner, licence = seed_world()
    (use_id,) = report_uses(owner, licence, [picture(7)])
    services.credential_use(use_id=use_id)
    use = UsageReport.objects.get(pk=use_id)
    bulk = size - 2
    with connection.cursor() as cursor:
        for band in BANDS:
            cursor.execute(f"DROP INDEX IF EXISTS fingerprint_{band}_idx")
        # One credentialed image per bulk fingerprint (random hashes from md5 of the row
        # number), so the look-up loads rows as it would in production.
        cursor.execute(
            """
            INSERT INTO provenance_credentialedimage
              (created_at, updated_at, use_id, source_sha256, file, sha256, manifest_label,
               verify_token, source_type, label_language, label_position, labelled_file,
               labelled_sha256, labelled_manifest_label, disclosure)
            SELECT now(), now(), %s, md5(i::text), 'bench/none.jpg', md5(i::text),
                   'urn:bench:' || i, 'bench' || i, 'trainedAlgorithmicMedia', 'en',
                   'bottom-right', '', '', '', ''
            FROM generate_series(1, %s) AS i
            """,
            [use.pk, bulk],
        )
        cursor.execute(
            """
            INSERT INTO provenance_fingerprint
              (image_id, copy, phash, dhash, p0, p1, p2, p3, d0, d1, d2, d3)
            SELECT id, 'credentialed', p, d,
                   p & 65535, (p >> 16) & 65535, (p >> 32) & 65535, (p >> 48) & 65535,
                   d & 65535, (d >> 16) & 65535, (d >> 32) & 65535, (d >> 48) & 65535
            FROM (
              SELECT id,
                     ('x' || substr(md5('p' || id), 1, 16))::bit(64)::bigint AS p,
                     ('x' || substr(md5('d' || id), 1, 16))::bit(64)::bigint AS d
              FROM provenance_credentialedimage WHERE manifest_label LIKE 'urn:bench:%%'
            ) AS h
            """
        )
        for band in BANDS:
            cursor.execute(
                f"CREATE INDEX fingerprint_{band}_idx ON provenance_fingerprint ({band})"
            )
    harness.vacuum_analyse()


def check_fingerprints(sizes: list[int]) -> None:
    """Count the fingerprints each size's database holds and fail (harness.check_sizes)
    unless each is exactly its size, in a database of its own."""
    from django.db import connection

    measured, places = {}, {}
    for size in sizes:
        use_database(database_for(size))
        measured[f"{size:,}"] = fingerprint_count()
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_database()")
            places[f"{size:,}"] = str(cursor.fetchone()[0])
    harness.check_sizes(measured, {f"{size:,}": size for size in sizes}, places=places)


def timed(call: Callable[[], object], times: int) -> list[float]:
    samples = []
    for _ in range(times):
        t0 = time.perf_counter()
        call()
        samples.append(time.perf_counter() - t0)
    return samples


def measure_size(size: int, lookups: int, rng: random.Random) -> dict[str, list[float]]:
    from marketplace.provenance import fingerprints, matching
    from marketplace.provenance.models import CredentialedImage, Fingerprint

    use_database(database_for(size))
    real = CredentialedImage.objects.exclude(labelled_file="").get()
    with real.file.open("rb") as handle:
        stripped_copy = stripped(handle.read())
    stored = Fingerprint.objects.get(image=real, copy="credentialed")
    near_base = fingerprints.to_unsigned(stored.phash), fingerprints.to_unsigned(stored.dhash)

    def miss() -> None:
        hashes = fingerprints.Hashes(phash=rng.getrandbits(64), dhash=rng.getrandbits(64))
        fingerprints.nearest(hashes)

    def hit() -> None:
        flips = [sum(1 << b for b in rng.sample(range(64), 6)) for _ in range(2)]
        hashes = fingerprints.Hashes(phash=near_base[0] ^ flips[0], dhash=near_base[1] ^ flips[1])
        found = fingerprints.nearest(hashes)
        assert found is not None and found.image_id == real.pk

    def whole() -> None:
        found = matching.find_match(stripped_copy)
        assert found is not None and found.image == real

    for call in (miss, hit, whole):
        timed(call, 20)  # warm-up
    return {
        "miss": timed(miss, lookups),
        "hit": timed(hit, lookups),
        "find_match": timed(whole, max(20, lookups // 10)),
    }


def candidates(size: int, rng: random.Random) -> float:
    """Mean rows the band probes return for a random picture at this size."""
    from django.db.models import Q

    from marketplace.provenance import fingerprints
    from marketplace.provenance.models import Fingerprint

    use_database(database_for(size))
    counts = []
    for _ in range(30):
        p, d = rng.getrandbits(64), rng.getrandbits(64)
        condition = Q()
        for prefix, value in (("p", p), ("d", d)):
            for i, band in enumerate(fingerprints.bands(value)):
                condition |= Q(**{f"{prefix}{i}__in": fingerprints._probes(band)})
        counts.append(Fingerprint.objects.filter(condition).count())
    return statistics.mean(counts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=20)
    parser.add_argument("--sizes", default="10000,1000000")
    parser.add_argument("--lookups", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--reseed", action="store_true")
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument("--json", default="")
    args = parser.parse_args(argv)
    configure_django()
    sizes = harness.distinct_sizes([int(s) for s in args.sizes.split(",")])
    report: dict[str, Any] = {"machine": harness.machine(), "database": ""}

    if not args.skip_throughput:
        figures = throughput(args.images)
        report["throughput"] = figures
        print(
            f"credentialing, one worker: {figures['images_per_minute']:.1f} images/min "
            f"(2,000 px JPEG; per image p50 {figures['p50_s']:.2f} s, "
            f"p95 {figures['p95_s']:.2f} s; {args.images} images)"
        )

    for size in sizes:
        seed_size(size, reseed=args.reseed)
    check_fingerprints(sizes)
    report["database"] = harness.database_version()
    rng = random.Random(18)
    samples: dict[int, dict[str, list[float]]] = {size: {} for size in sizes}
    for round_ in range(args.rounds):
        order = sizes if round_ % 2 == 0 else list(reversed(sizes))
        for size in order:
            for kind, values in measure_size(size, args.lookups // args.rounds, rng).items():
                samples[size].setdefault(kind, []).extend(values)
    table: dict[str, dict[str, float]] = {}
    print(f"\n{'size':>10} {'kind':>11} {'p50 ms':>8} {'p95 ms':>8} {'n':>5}")
    for size in sizes:
        for kind, values in samples[size].items():
            values.sort()
            row = {
                "p50_ms": statistics.median(values) * 1000,
                "p95_ms": harness.percentile(values, 0.95) * 1000,
                "n": len(values),
            }
            table[f"{size}:{kind}"] = row
            print(f"{size:>10,} {kind:>11} {row['p50_ms']:8.2f} {row['p95_ms']:8.2f} {row['n']:>5}")
        print(f"{size:>10,} candidates per random look-up: {candidates(size, rng):.1f}")
    check_fingerprints(sizes)  # again: nothing measured may have changed the sizes
    small, large = min(sizes), max(sizes)
    ratios = {
        kind: table[f"{large}:{kind}"]["p95_ms"] / table[f"{small}:{kind}"]["p95_ms"]
        for kind in ("miss", "hit", "find_match")
    }
    report.update({"lookups": table, "p95_ratios": ratios, "goal_ratio": GOAL_RATIO})
    print(
        "\np95 ratio {:,} / {:,}: look-up (miss) {:.2f}x, look-up (hit) {:.2f}x, "
        "find_match {:.2f}x (goal ≤ {:.0f}x for the look-up)".format(
            large, small, ratios["miss"], ratios["hit"], ratios["find_match"], GOAL_RATIO
        )
    )
    print(f"{report['machine']} · {report['database']}")
    harness.write_json(args.json, report)
    return 0 if ratios["miss"] <= GOAL_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
