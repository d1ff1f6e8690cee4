"""The IPTC/XMP fields that say what a C2PA manifest says, for tools that read no C2PA:
the IPTC digital source type, the licensor and its URL (the use's verify URL), the licence id
and the data-mining permission (PLUS). Embedded without re-encoding the picture (JPEG: an
APP1 segment; PNG: an iTXt chunk); WebP is re-saved by Pillow with the packet."""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Sequence
from xml.sax.saxutils import escape

from PIL import Image

from .options import IPTC_SOURCE_TYPES

XMP_HEADER = b"http://ns.adobe.com/xap/1.0/\x00"
PLUS_DATA_MINING = "http://ns.useplus.org/ldf/vocab/"


def packet(
    *,
    source_type: str,
    licence_id: str,
    licensor_url: str,
    training_forbidden: bool,
    contributors: Sequence[tuple[str, str]] = (),
) -> bytes:
    """An XMP packet (UTF-8) with the fields; values are escaped. `contributors`: (name,
    role) of each person credited on the twin: Dublin Core's contributors (names) and the
    IPTC Extension's Contributor (name and role)."""
    mining = "DMI-PROHIBITED" if training_forbidden else "DMI-ALLOWED"
    source = escape(IPTC_SOURCE_TYPES + source_type)
    url = escape(licensor_url)
    credits = ""
    if contributors:
        names = "".join(f"<rdf:li>{escape(name)}</rdf:li>" for name, _ in contributors)
        people = "".join(
            '<rdf:li rdf:parseType="Resource">'
            f"<Iptc4xmpExt:Name>{escape(name)}</Iptc4xmpExt:Name>"
            f"<Iptc4xmpExt:Role><rdf:Bag><rdf:li>{escape(role)}</rdf:li></rdf:Bag>"
            "</Iptc4xmpExt:Role></rdf:li>"
            for name, role in contributors
        )
        credits = (
            f"\n   <dc:contributor><rdf:Bag>{names}</rdf:Bag></dc:contributor>"
            f"\n   <Iptc4xmpExt:Contributor><rdf:Bag>{people}</rdf:Bag></Iptc4xmpExt:Contributor>"
        )
    text = f"""<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:dc="http://purl.org/dc/elements/1.1/"
    xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/"
    xmlns:plus="http://ns.useplus.org/ldf/xmp/1.0/"
    xmlns:xmpRights="http://ns.adobe.com/xap/1.0/rights/">
   <Iptc4xmpExt:DigitalSourceType>{source}</Iptc4xmpExt:DigitalSourceType>
   <plus:LicenseID>{escape(licence_id)}</plus:LicenseID>
   <plus:Licensor>
    <rdf:Seq>
     <rdf:li rdf:parseType="Resource">
      <plus:LicensorName>Likeness</plus:LicensorName>
      <plus:LicensorURL>{url}</plus:LicensorURL>
     </rdf:li>
    </rdf:Seq>
   </plus:Licensor>
   <plus:DataMining>{PLUS_DATA_MINING}{mining}</plus:DataMining>
   <xmpRights:Marked>True</xmpRights:Marked>
   <xmpRights:WebStatement>{url}</xmpRights:WebStatement>{credits}
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>"""
    return text.encode()


def _jpeg_with(data: bytes, xmp: bytes) -> bytes:
    if data[:2] != b"\xff\xd8":
        raise ValueError("Not a JPEG")
    body = XMP_HEADER + xmp
    if len(body) + 2 > 0xFFFF:
        raise ValueError("XMP packet too large for one segment")
    segment = b"\xff\xe1" + struct.pack(">H", len(body) + 2) + body
    at = 2
    # After a JFIF APP0 segment, which must come first.
    if data[2:4] == b"\xff\xe0":
        at = 4 + struct.unpack(">H", data[4:6])[0]
    return data[:at] + segment + data[at:]


def _png_with(data: bytes, xmp: bytes) -> bytes:
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("Not a PNG")
    # iTXt: keyword, NUL, compression flag 0, method 0, empty language, NUL, empty
    # translated keyword, NUL, text.
    payload = b"XML:com.adobe.xmp\x00\x00\x00\x00\x00" + xmp
    chunk = struct.pack(">I", len(payload)) + b"iTXt" + payload
    chunk += struct.pack(">I", zlib.crc32(b"iTXt" + payload) & 0xFFFFFFFF)
    at = data.find(b"IDAT") - 4  # before the first image data chunk
    if at < 8:
        raise ValueError("PNG without image data")
    return data[:at] + chunk + data[at:]


def _webp_with(data: bytes, xmp: bytes) -> bytes:
    with Image.open(io.BytesIO(data)) as picture:
        out = io.BytesIO()
        picture.save(out, "WEBP", quality=90, xmp=xmp)
    return out.getvalue()


def embed(data: bytes, *, mime_type: str, xmp: bytes) -> bytes:
    """`data` carrying the XMP packet. Raises ValueError if the file is not of its type."""
    if mime_type == "image/jpeg":
        return _jpeg_with(data, xmp)
    if mime_type == "image/png":
        return _png_with(data, xmp)
    if mime_type == "image/webp":
        return _webp_with(data, xmp)
    raise ValueError(f"No XMP for {mime_type}")


def read_fields(data: bytes) -> str:
    """The XMP packet Pillow finds in `data`, as text ('' if none): for checks and tests."""
    with Image.open(io.BytesIO(data)) as picture:
        raw = picture.info.get("xmp") or picture.info.get("XML:com.adobe.xmp") or b""
    return raw.decode() if isinstance(raw, bytes) else str(raw)
