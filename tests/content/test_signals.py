"""Hashing content: exact digests of any bytes, PDQ of images, and what is not an image."""

from __future__ import annotations

import hashlib

import pytest

from hanoix.content.signals import CROP_WINDOWS, hamming, hash_content
from tests.content.images import cropped_copies, edited_copies, encode, flat, scene, unrelated


def test_any_bytes_get_exact_digests_and_a_note_that_they_are_not_an_image() -> None:
    hashed = hash_content(b"not a picture")
    assert hashed.sha256 == hashlib.sha256(b"not a picture").hexdigest()
    assert hashed.md5 == hashlib.md5(b"not a picture").hexdigest()
    assert hashed.pdq is None and hashed.media == "other"
    assert hashed.note is not None and "exact digests only" in hashed.note


def test_an_image_gets_a_pdq_hash_of_64_hex_digits_with_its_quality() -> None:
    hashed = hash_content(encode(scene()))
    assert hashed.media == "image" and hashed.pdq is not None
    assert len(hashed.pdq.value) == 64 and int(hashed.pdq.value, 16) >= 0
    assert hashed.pdq.quality >= 50
    assert len(hashed.pdq.variants) == 7


def test_a_truncated_image_is_reported_and_keeps_its_digests() -> None:
    data = encode(scene(), "JPEG")[:2000]
    hashed = hash_content(data)
    assert hashed.pdq is None and hashed.sha256 == hashlib.sha256(data).hexdigest()
    assert hashed.note is not None and "cannot be decoded" in hashed.note


def test_a_flat_picture_has_a_low_quality() -> None:
    hashed = hash_content(encode(flat()))
    assert hashed.pdq is not None and hashed.pdq.quality < 50


@pytest.mark.parametrize("name", ["resized", "jpeg-60", "cropped"])
def test_light_edits_keep_the_pdq_hash_near(name: str) -> None:
    original = hash_content(encode(scene())).pdq
    copy = hash_content(edited_copies()[name]).pdq
    assert original is not None and copy is not None
    assert hamming(original.value, copy.value) <= 31


def test_a_query_has_no_cropped_windows_and_a_picture_being_listed_has_every_one() -> None:
    query = hash_content(encode(scene())).pdq
    assert query is not None and query.crops == ()
    listed = hash_content(encode(scene()), crops=True).pdq
    assert listed is not None and len(listed.crops) == len(CROP_WINDOWS) == 35
    assert len(set(listed.crops)) == 35 and listed.value not in listed.crops
    # The windows leave the hash itself as it was.
    assert listed == query and listed.variants == query.variants


@pytest.mark.parametrize("name", sorted(cropped_copies()))
def test_a_copy_cut_by_five_percent_is_far_from_the_hash_and_near_a_cropped_window(
    name: str,
) -> None:
    listed = hash_content(encode(scene()), crops=True).pdq
    copy = hash_content(cropped_copies()[name]).pdq
    assert listed is not None and copy is not None
    assert hamming(listed.value, copy.value) > 31
    assert min(hamming(window, copy.value) for window in listed.crops) <= 31


def test_a_picture_too_small_to_cut_lists_the_windows_it_has() -> None:
    from PIL import Image

    tiny = hash_content(encode(scene().resize((8, 6), Image.Resampling.BILINEAR)), crops=True)
    assert tiny.pdq is not None and 0 < len(tiny.pdq.crops) <= len(CROP_WINDOWS)


def test_a_mirror_image_is_near_only_through_the_dihedral_variants() -> None:
    original = hash_content(encode(scene())).pdq
    mirrored = hash_content(edited_copies()["mirrored"]).pdq
    assert original is not None and mirrored is not None
    assert hamming(original.value, mirrored.value) > 31
    assert min(hamming(original.value, v) for v in mirrored.variants) <= 31


def test_an_unrelated_picture_is_far() -> None:
    original = hash_content(encode(scene())).pdq
    other = hash_content(encode(unrelated())).pdq
    assert original is not None and other is not None
    assert min(hamming(original.value, v) for v in (other.value, *other.variants)) > 31
