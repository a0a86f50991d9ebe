"""Reads images out of Qt resource files (.rcc), as GCompris (Debian's gcompris-qt-data) ships
its artwork: the whole paintings of its "details" activity, and the paintings of its
"paintings" activity cut into puzzle pieces, which assemble() puts back together from the
board file that places them. Written here because no Debian package offers an .rcc reader
for Python (PySide's rcc compiles, it does not extract).

    files = read_rcc("usr/share/gcompris-qt/rcc/paintings.rcc")     # {path: bytes}
    image = assemble(files, "gcompris/src/activities/paintings/resource/board/board7_0.qml")

The .rcc format (Qt's rcc, format versions 1-3): a header "qres", version, and the offsets of
three tables, big-endian. The tree table holds one entry per node (14 bytes in version 1,
22 after: name offset, flags, then for a directory its child count and first child index, for
a file its country, language and data offset). A name is a 16-bit length, a 32-bit hash and
UTF-16 text; file data is a 32-bit length and the bytes, zlib-compressed (after a 4-byte size)
when flag 1 is set. Flag 4 (zstd) is not supported: GCompris's files do not use it.
"""
import io
import posixpath
import re
import struct
import zlib

from PIL import Image

_COMPRESSED, _DIRECTORY, _ZSTD = 1, 2, 4


def read_rcc(path):
    """Every file in the .rcc at `path`, as {"dir/name.ext": bytes}."""
    blob = open(path, "rb").read()
    if blob[:4] != b"qres":
        raise ValueError(f"{path}: not a Qt resource file")
    version, tree, data, names = struct.unpack(">IIII", blob[4:20])
    entry = 14 if version == 1 else 22

    def name_at(offset):
        (n,) = struct.unpack(">H", blob[names + offset:names + offset + 2])
        return blob[names + offset + 6:names + offset + 6 + 2 * n].decode("utf-16-be")

    files = {}

    def walk(index, prefix):
        at = tree + index * entry
        name_offset, flags = struct.unpack(">IH", blob[at:at + 6])
        path_here = posixpath.join(prefix, name_at(name_offset)) if index else ""
        if flags & _DIRECTORY:
            count, first = struct.unpack(">II", blob[at + 6:at + 14])
            for child in range(first, first + count):
                walk(child, path_here)
            return
        (offset,) = struct.unpack(">I", blob[at + 10:at + 14])
        (size,) = struct.unpack(">I", blob[data + offset:data + offset + 4])
        payload = blob[data + offset + 4:data + offset + 4 + size]
        if flags & _ZSTD:
            raise ValueError(f"{path}: {path_here} is zstd-compressed, which this reader does not support")
        files[path_here] = zlib.decompress(payload[4:]) if flags & _COMPRESSED else payload

    walk(0, "")
    return files


def image(files, member):
    """One image of the resource file, as RGB."""
    return Image.open(io.BytesIO(files[member])).convert("RGB")


def assemble(files, board):
    """A GCompris puzzle painting from its board file: the background's size, then each piece
    placed by its centre (x, y as fractions of that size)."""
    text = files[board].decode("utf-8")
    width = int(re.search(r'"width"\s*:\s*(\d+)', text).group(1))
    height = int(re.search(r'"height"\s*:\s*(\d+)', text).group(1))
    pieces = re.findall(r'"pixmapfile"\s*:\s*"(image/[^"]+\.webp)"\s*,\s*"x"\s*:\s*"([\d.]+)"\s*,'
                        r'\s*"y"\s*:\s*"([\d.]+)"', text)
    if not pieces:
        raise ValueError(f"{board}: no puzzle pieces")
    base = posixpath.dirname(posixpath.dirname(board))  # .../resource
    canvas = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    for member, x, y in pieces:
        piece = Image.open(io.BytesIO(files[posixpath.join(base, member)])).convert("RGBA")
        cx, cy = float(x) * width, float(y) * height
        canvas.alpha_composite(piece, (round(cx - piece.width / 2), round(cy - piece.height / 2)))
    canvas = canvas.crop(canvas.getbbox())  # the painting, without the board's empty margin
    return Image.alpha_composite(Image.new("RGBA", canvas.size, "white"), canvas).convert("RGB")
