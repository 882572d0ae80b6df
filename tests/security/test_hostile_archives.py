"""Zipped Shapefiles from a hostile source: zip bombs, too many entries, names that climb out of the
archive, symbolic links and archives inside the archive are refused before GDAL opens them.

There is no HTTP upload of archives: zipped Shapefiles come in through the import commands
(`import_boundaries`, `import_layer`), which both read through `read_geo_file`. So these tests call
the commands, and the reader, directly; a spy on pyogrio proves GDAL never saw a refused archive.
"""

from __future__ import annotations

import io
import stat
import struct
import zipfile
import zlib
from pathlib import Path

import geopandas
import pyogrio
import pytest
from django.core.management import CommandError, call_command
from django.utils import translation
from shapely.geometry import box

from geo_services.core.boundary_import import read_geo_file
from geo_services.core.errors import ImportProblem
from geo_services.core.models import District
from tests.security.hostile import table_counts

GIB = 1024**3


def _bomb_stream(size: int) -> bytes:
    """A raw deflate stream of `size` zero bytes without compressing gigabytes: after a full flush
    a block of zeros compresses to the same bytes every time, so that block is repeated."""
    chunk = bytes(16 * 1024 * 1024)
    assert size % len(chunk) == 0
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    block = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    tail = compressor.flush(zlib.Z_FINISH)
    return first + block * (size // len(chunk) - 1) + tail


def _raw_zip(path: Path, name: str, data: bytes, *, crc: int, declared_size: int) -> Path:
    """A one-entry zip archive written byte by byte, so the declared size can be anything."""
    encoded = name.encode()
    local = struct.pack(
        "<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, len(data), declared_size, len(encoded), 0
    )
    central = struct.pack(
        "<IHHHHHHIIIHHHHHII",
        0x02014B50, 20, 20, 0, 8, 0, 0x21, crc, len(data), declared_size, len(encoded), 0, 0, 0, 0, 0, 0,
    )  # fmt: skip
    directory_offset = len(local) + len(encoded) + len(data)
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, len(central) + len(encoded), directory_offset, 0)
    path.write_bytes(local + encoded + data + central + encoded + end)
    return path


@pytest.fixture(scope="module")
def bomb_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The archives are built once per module: the bomb is 3 GiB of zeros in a few MB."""
    folder = tmp_path_factory.mktemp("archives")
    data = _bomb_stream(3 * GIB)
    # The checksum is left out (computing it means reading 3 GiB): the archive is refused on its
    # declared size before any entry is inflated, so it is never compared.
    _raw_zip(folder / "bomb.zip", "districts.shp", data, crc=0, declared_size=3 * GIB)
    # A stream declaring only 1 kB: inflating it gives more than it says, or another checksum.
    _raw_zip(folder / "lying.zip", "districts.shp", data[: 4 * 1024 * 1024], crc=0, declared_size=1024)
    return folder


@pytest.fixture
def gdal_spy(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Every path pyogrio (GDAL) is asked to open."""
    opened: list[object] = []
    real = pyogrio.read_dataframe

    def spy(path_or_buffer: object, *args: object, **kwargs: object) -> object:
        opened.append(path_or_buffer)
        return real(path_or_buffer, *args, **kwargs)

    monkeypatch.setattr(pyogrio, "read_dataframe", spy)
    return opened


def _zip(path: Path, entries: list[tuple[zipfile.ZipInfo | str, bytes]]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for info, data in entries:
            archive.writestr(info, data)
    return path


def _symlink(name: str, target: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.create_system = 3  # Unix, so the mode bits below count
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


def _refused(path: Path, gdal_spy: list[object], *, contains: str) -> str:
    with translation.override("en"), pytest.raises(ImportProblem) as refused:
        read_geo_file(path)
    assert contains in refused.value.message
    assert refused.value.code in ("unsafe_archive", "bad_archive")
    assert gdal_spy == [], "GDAL opened an archive that should have been refused first"
    return refused.value.message


class TestArchivesRefusedBeforeGdal:
    def test_a_zip_bomb_is_refused_by_its_declared_size(self, bomb_dir, gdal_spy):
        assert (bomb_dir / "bomb.zip").stat().st_size < 20 * 1024 * 1024
        message = _refused(bomb_dir / "bomb.zip", gdal_spy, contains="inflate")
        assert str(2 * GIB) in message

    def test_a_bomb_that_lies_about_its_size_is_refused_when_inflated(self, bomb_dir, gdal_spy, settings):
        settings.AMANAH_ARCHIVE_MAX_RATIO = 10**9  # so only the streamed check can catch it
        _refused(bomb_dir / "lying.zip", gdal_spy, contains="")

    def test_the_inflated_total_is_bounded_even_when_each_ratio_is_modest(self, tmp_path, gdal_spy, settings):
        settings.AMANAH_ARCHIVE_MAX_UNZIPPED_BYTES = 100_000
        archive = _zip(tmp_path / "big.zip", [(f"part{i}.dbf", b"x" * 60_000) for i in range(2)])
        _refused(archive, gdal_spy, contains="100000 bytes")

    def test_a_high_compression_ratio_is_refused(self, tmp_path, gdal_spy):
        archive = _zip(tmp_path / "ratio.zip", [("districts.dbf", bytes(64 * 1024 * 1024))])
        _refused(archive, gdal_spy, contains="times")

    def test_too_many_entries(self, tmp_path, gdal_spy, settings):
        archive = _zip(
            tmp_path / "many.zip",
            [(f"f{i}.txt", b"") for i in range(settings.AMANAH_ARCHIVE_MAX_ENTRIES + 1)],
        )
        _refused(archive, gdal_spy, contains=f"the limit is {settings.AMANAH_ARCHIVE_MAX_ENTRIES}")

    @pytest.mark.parametrize(
        "name",
        ["../../x.shp", "shp/../../x.shp", "/abs/x.shp", "\\windows\\x.shp", "C:/x.shp", "..\\x.shp"],
    )
    def test_an_entry_outside_the_archive(self, tmp_path, gdal_spy, name):
        archive = _zip(tmp_path / "traversal.zip", [("districts.shp", b"x"), (name, b"x")])
        _refused(archive, gdal_spy, contains="outside the archive")

    def test_a_symbolic_link_entry(self, tmp_path, gdal_spy):
        archive = _zip(
            tmp_path / "link.zip",
            [("districts.shp", b"x"), (_symlink("districts.prj", "/etc/passwd"), b"/etc/passwd")],
        )
        _refused(archive, gdal_spy, contains="symbolic link")

    def test_an_archive_inside_the_archive(self, tmp_path, gdal_spy):
        inner = io.BytesIO()
        with zipfile.ZipFile(inner, "w") as nested:
            nested.writestr("districts.shp", b"x")
        archive = _zip(tmp_path / "nested.zip", [("inner.zip", inner.getvalue())])
        _refused(archive, gdal_spy, contains="archive inside the archive")

    def test_a_file_that_is_not_a_zip(self, tmp_path, gdal_spy):
        archive = tmp_path / "text.zip"
        archive.write_text("not an archive")
        _refused(archive, gdal_spy, contains="not a readable zip archive")

    def test_an_ordinary_zipped_shapefile_still_reaches_gdal(self, tmp_path, gdal_spy):
        folder = tmp_path / "shp"
        folder.mkdir()
        frame = geopandas.GeoDataFrame(
            {"name": ["a"]}, geometry=[box(35.9, 31.9, 36.0, 32.0)], crs="EPSG:4326"
        )
        frame.to_file(folder / "districts.shp")
        archive = _zip(tmp_path / "ok.zip", [(part.name, part.read_bytes()) for part in folder.iterdir()])
        geo_file = read_geo_file(archive)
        assert len(geo_file.frame) == 1
        assert len(gdal_spy) == 1


@pytest.mark.django_db
class TestImportCommands:
    def test_import_boundaries_refuses_a_bomb_and_writes_nothing(self, bomb_dir, gdal_spy):
        before = table_counts()
        with translation.override("en"), pytest.raises(CommandError, match="inflate"):
            call_command(
                "import_boundaries", str(bomb_dir / "bomb.zip"), "--jurisdiction", "bombed", "--name-field", "name",
                stdout=io.StringIO(), stderr=io.StringIO(),
            )  # fmt: skip
        assert table_counts() == before
        assert District.objects.count() == 0
        assert gdal_spy == []

    def test_import_layer_refuses_a_traversal_archive_and_writes_nothing(self, tmp_path, gdal_spy):
        archive = _zip(tmp_path / "venues.zip", [("venues.shp", b"x"), ("../../venues.dbf", b"x")])
        before = table_counts()
        with translation.override("en"), pytest.raises(CommandError, match="outside the archive"):
            call_command("import_layer", "venues", str(archive), stdout=io.StringIO(), stderr=io.StringIO())
        assert table_counts() == before
        assert gdal_spy == []
