package dev.streamfit.imaging.internal;

import dev.streamfit.imaging.ImageRejectedException;
import dev.streamfit.schemas.RejectReason;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;

/**
 * Reads format, width and height from an encoded image without decoding pixels, exactly as the decoders will
 * read them, and checks that the stream is complete and single-frame. A JPEG is walked marker by marker through
 * its entropy-coded data to its real end-of-image marker (bytes after it, such as a phone's Motion Photo video or
 * metadata trailer, are ignored as every decoder ignores them); a PNG's IHDR must be its first chunk and appear
 * once, as libpng requires, so the size checked here is the size libpng allocates; a WebP's size comes from its
 * VP8/VP8L frame header (and must match a VP8X canvas), and animated WebP is refused.
 *
 * @param orientation EXIF orientation 1..8 of a JPEG (1 = as stored; PNG always 1)
 * @param scans entropy-coded scans of a JPEG (1 for baseline, several for progressive); 1 for PNG
 */
public record ImageHeader(String mediaType, int width, int height, int orientation, int scans) {
  /** A header without EXIF orientation (1 = as stored) and one scan. */
  public ImageHeader(String mediaType, int width, int height) {
    this(mediaType, width, height, 1, 1);
  }

  /** The formats the guard lets through, as error messages name them. */
  public static final String ACCEPTED = "image/jpeg, image/png, image/webp";

  private static final byte[] PNG_SIG = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};

  /** Parses and validates the container; throws with a reason code if the bytes are not acceptable. */
  public static ImageHeader probe(byte[] b) throws ImageRejectedException {
    if (b.length >= 3 && (b[0] & 0xFF) == 0xFF && (b[1] & 0xFF) == 0xD8 && (b[2] & 0xFF) == 0xFF) {
      return jpeg(b);
    }
    if (b.length >= 8 && startsWith(b, PNG_SIG)) {
      return png(b);
    }
    if (b.length >= 12 && type(b, 0, "RIFF") && type(b, 8, "WEBP")) {
      return webp(b);
    }
    throw new ImageRejectedException(RejectReason.UNSUPPORTED_FORMAT,
        "not a JPEG, PNG or WebP (magic bytes " + hex(b, 8) + "); accepted formats: " + ACCEPTED);
  }

  private static ImageRejectedException corrupt(String message) {
    return new ImageRejectedException(RejectReason.CORRUPT_IMAGE, message);
  }

  private static ImageHeader jpeg(byte[] b) throws ImageRejectedException {
    int n = b.length;
    int i = 2;
    int orientation = 1;
    int w = -1;
    int h = -1;
    int scans = 0;
    while (true) {
      if (i >= n) {
        throw corrupt("truncated JPEG: no end-of-image marker (FFD9)");
      }
      if ((b[i] & 0xFF) != 0xFF) {
        throw corrupt("corrupt JPEG: expected a marker at byte " + i);
      }
      while (i + 1 < n && (b[i + 1] & 0xFF) == 0xFF) {
        i++; // fill bytes
      }
      if (i + 1 >= n) {
        throw corrupt("truncated JPEG: no end-of-image marker (FFD9)");
      }
      int marker = b[i + 1] & 0xFF;
      if (marker == 0xD9) {
        if (w < 0) {
          throw corrupt("corrupt JPEG: no frame header (SOF) found");
        }
        if (scans == 0) {
          throw corrupt("truncated JPEG: no scan data after the frame header");
        }
        return new ImageHeader("image/jpeg", w, h, orientation, scans);
      }
      if (marker == 0xD8) {
        throw corrupt("corrupt JPEG: a second start-of-image marker at byte " + i);
      }
      if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {
        i += 2;
        continue;
      }
      if (i + 4 > n) {
        throw corrupt("truncated JPEG: segment header at byte " + i + " cut off");
      }
      int len = ((b[i + 2] & 0xFF) << 8) | (b[i + 3] & 0xFF);
      if (len < 2) {
        throw corrupt("corrupt JPEG: segment at byte " + i + " has length " + len);
      }
      if (i + 2 + len > n) {
        throw corrupt("truncated JPEG: segment at byte " + i + " overruns data");
      }
      boolean sof = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
      if (sof) {
        if (w >= 0) {
          throw corrupt("corrupt JPEG: a second frame header (SOF) at byte " + i);
        }
        if (len < 8) {
          throw corrupt("corrupt JPEG: short frame header");
        }
        h = ((b[i + 5] & 0xFF) << 8) | (b[i + 6] & 0xFF);
        w = ((b[i + 7] & 0xFF) << 8) | (b[i + 8] & 0xFF);
        if (w == 0 || h == 0) {
          throw corrupt("corrupt JPEG: zero dimension " + w + "x" + h);
        }
      } else if (marker == 0xE1 && orientation == 1 && w < 0) {
        orientation = exifOrientation(b, i + 4, len - 2);
      } else if (marker == 0xDA) {
        if (w < 0) {
          throw corrupt("corrupt JPEG: scan before the frame header");
        }
        scans++;
        i = entropyEnd(b, i + 2 + len);
        continue;
      }
      i += 2 + len;
    }
  }

  /** Index of the marker that ends the entropy-coded data starting at {@code j} (stuffed FF00 and RSTn skipped). */
  private static int entropyEnd(byte[] b, int j) throws ImageRejectedException {
    int n = b.length;
    while (j + 1 < n) {
      if ((b[j] & 0xFF) != 0xFF) {
        j++;
        continue;
      }
      int next = b[j + 1] & 0xFF;
      if (next == 0x00 || (next >= 0xD0 && next <= 0xD7)) {
        j += 2;
      } else if (next == 0xFF) {
        j++;
      } else {
        return j;
      }
    }
    throw corrupt("truncated JPEG: no end-of-image marker (FFD9)");
  }

  private static ImageHeader png(byte[] b) throws ImageRejectedException {
    if (b.length < 8 + 25 || u32be(b, 8) != 13 || !type(b, 12, "IHDR")) {
      throw corrupt("corrupt PNG: the first chunk must be a 13-byte IHDR");
    }
    CRC32 crc = new CRC32();
    crc.update(b, 12, 17);
    if (crc.getValue() != u32be(b, 29)) {
      throw corrupt("corrupt PNG: IHDR checksum mismatch");
    }
    long w = u32be(b, 16);
    long h = u32be(b, 20);
    int depth = b[24] & 0xFF;
    int color = b[25] & 0xFF;
    if (w == 0 || h == 0 || w > Integer.MAX_VALUE || h > Integer.MAX_VALUE) {
      throw corrupt("corrupt PNG: invalid size " + w + "x" + h);
    }
    boolean depthOk = switch (color) {
      case 0 -> depth == 1 || depth == 2 || depth == 4 || depth == 8 || depth == 16;
      case 3 -> depth == 1 || depth == 2 || depth == 4 || depth == 8;
      case 2, 4, 6 -> depth == 8 || depth == 16;
      default -> false;
    };
    if (!depthOk || (b[26] & 0xFF) != 0 || (b[27] & 0xFF) != 0 || (b[28] & 0xFF) > 1) {
      throw corrupt("corrupt PNG: invalid IHDR (bit depth " + depth + ", colour type " + color + ")");
    }
    int i = 33;
    boolean idat = false;
    while (i + 12 <= b.length) {
      long len = u32be(b, i);
      if (len > b.length - i - 12L) {
        throw corrupt("truncated PNG: chunk " + new String(b, i + 4, 4, StandardCharsets.ISO_8859_1)
            + " overruns data");
      }
      if (type(b, i + 4, "IHDR")) {
        throw corrupt("corrupt PNG: a second IHDR chunk at byte " + i);
      } else if (type(b, i + 4, "acTL")) {
        throw new ImageRejectedException(RejectReason.UNSUPPORTED_FORMAT, "animated PNG (multi-frame) is not accepted");
      } else if (type(b, i + 4, "IDAT")) {
        idat = true;
      } else if (type(b, i + 4, "IEND")) {
        if (!idat) {
          throw corrupt("corrupt PNG: no image data");
        }
        return new ImageHeader("image/png", (int) w, (int) h);
      }
      i += (int) (12 + len);
    }
    throw corrupt("truncated PNG: no IEND chunk");
  }

  /**
   * A still WebP (RIFF): lossy {@code VP8 }, lossless {@code VP8L}, or extended {@code VP8X} whose canvas must match
   * its one image chunk; animation refused. The RIFF size must fit the data (bytes after it are ignored, as libwebp
   * ignores them); every chunk must fit the RIFF size.
   */
  private static ImageHeader webp(byte[] b) throws ImageRejectedException {
    long riff = u32le(b, 4);
    if (riff < 4 || riff + 8 > b.length) {
      throw corrupt("truncated WebP: RIFF size " + riff + " exceeds the " + b.length + " bytes sent");
    }
    int end = (int) (riff + 8);
    int i = 12;
    int canvasW = -1;
    int canvasH = -1;
    while (i + 8 <= end) {
      long len = u32le(b, i + 4);
      int data = i + 8;
      if (len > end - data) {
        throw corrupt("truncated WebP: chunk " + new String(b, i, 4, StandardCharsets.ISO_8859_1)
            + " overruns data");
      }
      if (type(b, i, "VP8X")) {
        if (len < 10) {
          throw corrupt("corrupt WebP: short VP8X chunk");
        }
        if ((b[data] & 0x02) != 0) {
          throw new ImageRejectedException(RejectReason.UNSUPPORTED_FORMAT, "animated WebP (multi-frame) is not accepted");
        }
        canvasW = 1 + (int) u24le(b, data + 4);
        canvasH = 1 + (int) u24le(b, data + 7);
      } else if (type(b, i, "ANIM") || type(b, i, "ANMF")) {
        throw new ImageRejectedException(RejectReason.UNSUPPORTED_FORMAT, "animated WebP (multi-frame) is not accepted");
      } else if (type(b, i, "VP8 ") || type(b, i, "VP8L")) {
        int w;
        int h;
        if (type(b, i, "VP8 ")) {
          if (len < 10 || (b[data + 3] & 0xFF) != 0x9D || (b[data + 4] & 0xFF) != 0x01 || (b[data + 5] & 0xFF) != 0x2A) {
            throw corrupt("corrupt WebP: VP8 frame header missing");
          }
          w = (int) (u16le(b, data + 6) & 0x3FFF);
          h = (int) (u16le(b, data + 8) & 0x3FFF);
        } else {
          if (len < 5 || (b[data] & 0xFF) != 0x2F) {
            throw corrupt("corrupt WebP: VP8L signature missing");
          }
          long bits = u32le(b, data + 1);
          w = 1 + (int) (bits & 0x3FFF);
          h = 1 + (int) ((bits >> 14) & 0x3FFF);
        }
        if (w == 0 || h == 0) {
          throw corrupt("corrupt WebP: zero dimension " + w + "x" + h);
        }
        if (canvasW >= 0 && (canvasW != w || canvasH != h)) {
          throw corrupt("corrupt WebP: canvas " + canvasW + "x" + canvasH + " but image " + w + "x" + h);
        }
        return new ImageHeader("image/webp", w, h);
      }
      i = data + (int) len + (int) (len & 1);
    }
    throw corrupt("corrupt WebP: no image data (VP8 or VP8L chunk)");
  }

  private static long u16le(byte[] b, int i) {
    return (b[i] & 0xFF) | ((b[i + 1] & 0xFF) << 8);
  }

  private static long u24le(byte[] b, int i) {
    return u16le(b, i) | ((long) (b[i + 2] & 0xFF) << 16);
  }

  private static long u32le(byte[] b, int i) {
    return u24le(b, i) | ((long) (b[i + 3] & 0xFF) << 24);
  }

  private static long u32be(byte[] b, int i) {
    return ((long) (b[i] & 0xFF) << 24) | ((b[i + 1] & 0xFF) << 16) | ((b[i + 2] & 0xFF) << 8) | (b[i + 3] & 0xFF);
  }

  private static boolean type(byte[] b, int i, String t) {
    return b[i] == t.charAt(0) && b[i + 1] == t.charAt(1) && b[i + 2] == t.charAt(2) && b[i + 3] == t.charAt(3);
  }

  /** EXIF Orientation (tag 0x0112 of IFD0) of an APP1 payload at {@code off}, 1 if absent or unreadable. */
  static int exifOrientation(byte[] b, int off, int len) {
    if (len < 14 || b[off] != 'E' || b[off + 1] != 'x' || b[off + 2] != 'i' || b[off + 3] != 'f') {
      return 1;
    }
    int t = off + 6; // TIFF header
    int end = off + len;
    boolean le = b[t] == 'I';
    if (!le && b[t] != 'M') {
      return 1;
    }
    long ifd = u32(b, t + 4, le);
    if (ifd < 8 || t + ifd + 2 > end) {
      return 1;
    }
    int p = (int) (t + ifd);
    int n = u16(b, p, le);
    for (int k = 0; k < n && p + 2 + 12 * (k + 1) <= end; k++) {
      int e = p + 2 + 12 * k;
      if (u16(b, e, le) == 0x0112) {
        int v = u16(b, e + 8, le);
        return v >= 1 && v <= 8 ? v : 1;
      }
    }
    return 1;
  }

  private static int u16(byte[] b, int i, boolean le) {
    return le ? (b[i] & 0xFF) | (b[i + 1] & 0xFF) << 8 : (b[i] & 0xFF) << 8 | (b[i + 1] & 0xFF);
  }

  private static long u32(byte[] b, int i, boolean le) {
    return le ? (u16(b, i, true) | (long) u16(b, i + 2, true) << 16) : ((long) u16(b, i, false) << 16 | u16(b, i + 2, false));
  }

  private static boolean startsWith(byte[] b, byte[] prefix) {
    for (int i = 0; i < prefix.length; i++) {
      if (b[i] != prefix[i]) {
        return false;
      }
    }
    return true;
  }

  private static String hex(byte[] b, int n) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < Math.min(n, b.length); i++) {
      sb.append(String.format("%02x", b[i] & 0xFF));
    }
    return sb.length() == 0 ? "(none)" : sb.toString();
  }
}
